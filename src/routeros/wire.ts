/**
 * The RouterOS binary API framing: length-prefixed words, a sentence ends with an
 * empty word. Shared by the simulator and the client so both sides agree byte for byte.
 */

/** A length prefix that no encoder produces or a word longer than we accept. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** Longest word either side accepts (RouterOS allows 2^32-1; nothing we send comes close). */
export const MAX_WORD_LENGTH = 64 * 1024 * 1024;

/** Encodes a word length: <0x80 1 byte, <0x4000 2, <0x200000 3, <0x10000000 4, else 0xF0 + 4. */
export function encodeLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new WireFormatError(`invalid word length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x4000) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n | 0x8000);
    return b;
  }
  if (n < 0x200000) {
    const v = n | 0xc00000;
    return Buffer.from([(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  }
  if (n < 0x10000000) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE((n | 0xe0000000) >>> 0);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0xf0;
  b.writeUInt32BE(n, 1);
  return b;
}

/**
 * Decodes a length prefix at `offset`. Returns undefined when more bytes are needed,
 * `{ length, size }` otherwise (size = bytes the prefix occupies).
 */
export function decodeLength(buf: Buffer, offset = 0): { length: number; size: number } | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset] as number;
  let size: number;
  if ((first & 0x80) === 0x00) size = 1;
  else if ((first & 0xc0) === 0x80) size = 2;
  else if ((first & 0xe0) === 0xc0) size = 3;
  else if ((first & 0xf0) === 0xe0) size = 4;
  else if (first === 0xf0) size = 5;
  else throw new WireFormatError(`invalid length prefix byte 0x${first.toString(16)}`);
  if (offset + size > buf.length) return undefined;
  let length: number;
  switch (size) {
    case 1:
      length = first;
      break;
    case 2:
      length = buf.readUInt16BE(offset) & 0x3fff;
      break;
    case 3:
      length = ((first & 0x1f) << 16) | buf.readUInt16BE(offset + 1);
      break;
    case 4:
      length = buf.readUInt32BE(offset) & 0x0fffffff;
      break;
    default:
      length = buf.readUInt32BE(offset + 1);
      break;
  }
  return { length, size };
}

export function encodeWord(word: string | Buffer): Buffer {
  const body = typeof word === 'string' ? Buffer.from(word, 'utf8') : word;
  return Buffer.concat([encodeLength(body.length), body]);
}

/** A whole sentence: its words then the terminating zero-length word. */
export function encodeSentence(words: readonly string[]): Buffer {
  return Buffer.concat([...words.map((w) => encodeWord(w)), Buffer.from([0])]);
}

/** One complete sentence: its exact bytes and its words, one char per byte (latin1). */
export interface FramedSentence {
  raw: Buffer;
  words: string[];
}

/**
 * The one stream decoder: feed it TCP chunks cut anywhere, get back whole sentences with
 * their original bytes. A malformed prefix throws WireFormatError; the stream cannot be
 * resynchronised after that.
 *
 * The client hands each whole sentence to node-routeros (see node-routeros.ts): its
 * Receiver decides where a sentence ends from TCP chunk boundaries, so a sentence split
 * across chunks would reach it in pieces (the tail then parses as an unknown reply and
 * throws). The raw bytes are kept rather than re-encoded so that a router's non-UTF-8
 * bytes reach node-routeros unchanged; our own reading of the words is in reply-words.ts.
 */
export class SentenceFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private sentenceStart = 0;
  private scan = 0;
  private words: string[] = [];
  private failed: WireFormatError | undefined;

  constructor(private readonly maxWordLength = MAX_WORD_LENGTH) {}

  push(chunk: Buffer): FramedSentence[] {
    if (this.failed) throw this.failed;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: FramedSentence[] = [];
    try {
      for (;;) {
        const prefix = decodeLength(this.buffer, this.scan);
        if (!prefix) break;
        if (prefix.length > this.maxWordLength) {
          throw new WireFormatError(`word of ${prefix.length} bytes exceeds limit ${this.maxWordLength}`);
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

  /** Bytes received that do not yet form a complete sentence. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  get hasPartialSentence(): boolean {
    return this.buffer.length > 0;
  }
}

/** The framer for peers that speak UTF-8 (the simulator, test clients): words as UTF-8 text. */
export class SentenceDecoder {
  private readonly framer: SentenceFramer;

  constructor(maxWordLength = MAX_WORD_LENGTH) {
    this.framer = new SentenceFramer(maxWordLength);
  }

  push(chunk: Buffer): string[][] {
    return this.framer.push(chunk).map((s) => s.words.map((w) => Buffer.from(w, 'latin1').toString('utf8')));
  }

  get pendingBytes(): number {
    return this.framer.pendingBytes;
  }

  get hasPartialSentence(): boolean {
    return this.framer.hasPartialSentence;
  }
}

/** Splits `=key=value` attribute words into a map; other words are left out. */
export function parseAttributes(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    if (!w.startsWith('=')) continue;
    const eq = w.indexOf('=', 1);
    if (eq < 0) out[w.slice(1)] = '';
    else out[w.slice(1, eq)] = w.slice(eq + 1);
  }
  return out;
}
