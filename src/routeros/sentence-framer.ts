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
    if (w.startsWith('=message=')) message = w.slice(9);
    else if (w.startsWith('=category=')) category = Number(w.slice(10));
    // `!fatal` carries its reason as a bare word.
    else if (!w.startsWith('=') && !w.startsWith('.') && message === '') message = w;
  }
  return { message, category: Number.isFinite(category) ? category : undefined };
}
