/**
 * The SSH wire encoding (RFC 4251 section 5) as far as keys and signatures need it:
 * uint32, byte and length-prefixed strings. The reader is strict: a length that runs past
 * the end, or bytes left over where a structure should end, is an error, never a guess.
 */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export class WireReader {
  #pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  #need(n: number): void {
    if (this.#pos + n > this.buf.length) throw new WireError(`${this.what} is truncated`);
  }

  byte(): number {
    this.#need(1);
    return this.buf[this.#pos++]!;
  }

  uint32(): number {
    this.#need(4);
    const value = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.#pos, 4).readUInt32BE(0);
    this.#pos += 4;
    return value;
  }

  raw(n: number): Buffer {
    this.#need(n);
    const out = Buffer.from(this.buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return out;
  }

  string(): Buffer {
    return this.raw(this.uint32());
  }

  /** A string that must be printable ASCII (key types, namespaces, hash names, applications). */
  text(): string {
    const bytes = this.string();
    if (!bytes.every((b) => b >= 0x20 && b < 0x7f)) throw new WireError(`${this.what} holds a non-ASCII name`);
    return bytes.toString('latin1');
  }

  end(): void {
    if (this.#pos !== this.buf.length)
      throw new WireError(`${this.what} has ${this.buf.length - this.#pos} trailing bytes`);
  }
}

export function wireUint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value, 0);
  return out;
}

export function wireString(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return Buffer.concat([wireUint32(bytes.length), bytes]);
}
