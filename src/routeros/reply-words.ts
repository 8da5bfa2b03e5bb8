import { parseAttributes } from './wire.js';

/**
 * How the client reads the words of a reply (framed by wire.ts, bytes as latin1): the
 * text of a word, attributes, tag and trap details.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');

/**
 * The text of a word. Framed words hold raw bytes (latin1, one char per byte); RouterOS
 * sends whatever bytes were configured: UTF-8 from modern tools, Windows-1252 from older
 * Winbox. Valid UTF-8 is read as such, anything else as Windows-1252.
 */
export function wordText(word: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(word)) return word;
  const bytes = Buffer.from(word, 'latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return cp1252.decode(bytes);
  }
}

/** `=key=value` attributes of a sentence, keys and values decoded by wordText. */
export function sentenceAttributes(words: readonly string[]): Record<string, string> {
  return parseAttributes(words.map(wordText));
}

/** `.tag=X` of a sentence, if any. */
export function sentenceTag(words: readonly string[]): string | undefined {
  const w = words.find((word) => word.startsWith('.tag='));
  return w?.slice(5);
}

/** The `=message=` and `=category=` of a `!trap` or `!fatal`. */
export function trapDetails(words: readonly string[]): { message: string; category: number | undefined } {
  let message = '';
  let category: number | undefined;
  for (const w of words.slice(1)) {
    if (w.startsWith('=message=')) message = wordText(w.slice(9));
    else if (w.startsWith('=category=')) category = Number(w.slice(10));
    // `!fatal` carries its reason as a bare word.
    else if (!w.startsWith('=') && !w.startsWith('.') && message === '') message = wordText(w);
  }
  return { message, category: Number.isFinite(category) ? category : undefined };
}
