import { decodeLength, MAX_WORD_LENGTH, WireFormatError } from './wire.js';

/** One complete reply sentence: its exact bytes (for node-routeros) and its words (for us). */
export interface FramedSentence {
  raw: Buffer;
  words: string[];
}

/**
 * Cuts a TCP byte stream into whole sentences, keeping each sentence's original bytes.
 *
 * Why not hand chunks straight to node-routeros: its Receiver decides where a sentence
 * ends from TCP chunk boundaries, so a sentence split across chunks is delivered in
 * pieces (the tail then parses as an unknown reply and throws). Fed one whole sentence per
 * call it parses correctly. The raw bytes are kept rather than re-encoded so that a
 * router's non-UTF-8 bytes reach node-routeros's win1252 decoding unchanged.
 */
export class SentenceFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private sentenceStart = 0;
  private scan = 0;
  private words: string[] = [];
  private failed: WireFormatError | undefined;

  push(chunk: Buffer): FramedSentence[] {
    if (this.failed) throw this.failed;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: FramedSentence[] = [];
    try {
      for (;;) {
        const prefix = decodeLength(this.buffer, this.scan);
        if (!prefix) break;
        if (prefix.length > MAX_WORD_LENGTH) {
          throw new WireFormatError(`word of ${prefix.length} bytes exceeds limit ${MAX_WORD_LENGTH}`);
        }
        const start = this.scan + prefix.size;
        const end = start + prefix.length;
        if (end > this.buffer.length) break;
        this.scan = end;
        if (prefix.length === 0) {
          out.push({ raw: Buffer.from(this.buffer.subarray(this.sentenceStart, end)), words: this.words });
          this.words = [];
          this.sentenceStart = end;
        } else {
          this.words.push(this.buffer.toString('latin1', start, end));
        }
      }
    } catch (error) {
      this.failed = error as WireFormatError;
      throw error;
    }
    // Keep only the unfinished sentence.
    this.buffer = this.buffer.subarray(this.sentenceStart);
    this.scan -= this.sentenceStart;
    this.sentenceStart = 0;
    return out;
  }
}

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

/** `=key=value` attributes of a sentence, values decoded by wordText. */
export function sentenceAttributes(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    if (!w.startsWith('=')) continue;
    const eq = w.indexOf('=', 1);
    if (eq < 0) out[wordText(w.slice(1))] = '';
    else out[wordText(w.slice(1, eq))] = wordText(w.slice(eq + 1));
  }
  return out;
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
