/**
 * RouterOS is byte-transparent: an identity or comment comes back as the bytes that were
 * set, whatever their encoding (librouteros sends UTF-8 when told to, node-routeros sends
 * cp1252, WinBox the PC's code page). The simulator keeps API text the same way, one char
 * per byte ("wire text"), and decodes it only to show it to people.
 */

/** Text a person typed (CLI flag, fleet file) as wire text: its UTF-8 bytes. */
export function toWireText(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Wire text for people: UTF-8 when the bytes are UTF-8, else each byte as Latin-1. */
export function displayWireText(wire: string): string {
  const bytes = Buffer.from(wire, 'latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return wire;
  }
}
