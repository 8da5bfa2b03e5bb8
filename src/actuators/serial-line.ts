import type { SerialPortStream } from '@serialport/stream';
import type { Logger } from '../log/logger.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';

/** Opens a port; tests pass one that builds a SerialPortMock. */
export type PortFactory = (options: { path: string; baudRate: number }) => SerialPortStream;

/** The real port. serialport (native bindings, a dozen parsers) is loaded on first use: an agent without a serial
 * device never carries it. */
async function openRealPort(options: { path: string; baudRate: number }): Promise<SerialPortStream> {
  const { SerialPort } = await import('serialport');
  return new SerialPort({ ...options, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
}

export interface SerialLineOptions {
  path: string;
  baudRate: number;
  logger: Logger;
  portFactory?: PortFactory;
}

interface Waiter {
  patterns: RegExp[];
  resolve: (match: { index: number; text: string }) => void;
  reject: (error: Error) => void;
}

/**
 * A serial port that survives being unplugged: a port that closed on its own is reopened by
 * the next operation, and every read waits with a deadline, never forever.
 */
export class SerialLine {
  #writesStarted = 0;
  #port: SerialPortStream | undefined;
  #buffer = '';
  #waiter: Waiter | undefined;

  constructor(private readonly options: SerialLineOptions) {}

  get path(): string {
    return this.options.path;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  async ensureOpen(): Promise<void> {
    if (this.#port?.isOpen) return;
    const port = await this.#open().catch((error: unknown) => {
      throw new ActuatorUnavailableError(
        `cannot open serial port ${this.options.path}: ${(error as Error).message} (unplugged?)`,
        { cause: error },
      );
    });
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    port.on('error', (error: Error) =>
      this.options.logger.warn({ err: error, path: this.options.path }, 'serial port error'),
    );
    port.on('close', (error: Error | null) => {
      if (this.#port === port) this.#port = undefined;
      if (error)
        this.options.logger.warn({ err: error, path: this.options.path }, 'serial port disappeared; will reopen');
      this.#waiter?.reject(
        new ActuatorUnavailableError(`serial port ${this.options.path} closed while waiting for a reply`),
      );
      this.#waiter = undefined;
    });
    this.#port = port;
    this.#buffer = '';
  }

  async #open(): Promise<SerialPortStream> {
    const where = { path: this.options.path, baudRate: this.options.baudRate };
    const port = this.options.portFactory ? this.options.portFactory(where) : await openRealPort(where);
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return port;
  }

  /** Writes begun on an open port since construction: once it moves, bytes may have reached the device. */
  get writesStarted(): number {
    return this.#writesStarted;
  }

  async write(data: string | Buffer, timeoutMs: number): Promise<void> {
    await this.ensureOpen();
    const port = this.#port;
    if (!port) throw new ActuatorUnavailableError(`serial port ${this.options.path} is not open`);
    this.#writesStarted++;
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          port.write(data, (error) => {
            if (error) return reject(error);
            port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
          });
        }),
        timeoutMs,
        () => new ActuatorProtocolError(`write to ${this.options.path} did not complete within ${timeoutMs} ms`),
      );
    } catch (error) {
      // EIO and friends: the adapter is gone. Drop the port so the next operation reopens it.
      this.#drop(port);
      if (error instanceof ActuatorProtocolError) throw error;
      throw new ActuatorUnavailableError(
        `write to ${this.options.path} failed: ${(error as Error).message} (unplugged?)`,
        { cause: error },
      );
    }
  }

  #drop(port: SerialPortStream): void {
    if (this.#port === port) this.#port = undefined;
    if (port.isOpen) port.close(() => undefined);
  }

  /** Drops whatever arrived so far (stale prompts, echoes). */
  discard(): void {
    this.#buffer = '';
  }

  /**
   * Waits until the received text matches one of the patterns; returns which one and the
   * text up to the end of the match (consumed from the buffer).
   */
  async expect(patterns: RegExp[], timeoutMs: number): Promise<{ index: number; text: string }> {
    if (!this.#port?.isOpen) throw new ActuatorUnavailableError(`serial port ${this.options.path} is not open`);
    const immediate = this.#match(patterns);
    if (immediate) return immediate;
    return withTimeout(
      new Promise<{ index: number; text: string }>((resolve, reject) => {
        this.#waiter = { patterns, resolve, reject };
      }),
      timeoutMs,
      () => {
        this.#waiter = undefined;
        const tail = JSON.stringify(this.#buffer.slice(-120));
        return new ActuatorProtocolError(
          `no expected reply from ${this.options.path} within ${timeoutMs} ms (received ${tail})`,
        );
      },
    );
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  #onData(chunk: Buffer): void {
    this.#buffer += chunk.toString('latin1');
    if (this.#buffer.length > 65_536) this.#buffer = this.#buffer.slice(-16_384);
    const waiter = this.#waiter;
    if (!waiter) return;
    const found = this.#match(waiter.patterns);
    if (found) {
      this.#waiter = undefined;
      waiter.resolve(found);
    }
  }

  /** The earliest match in the buffer wins, whichever pattern it is. */
  #match(patterns: RegExp[]): { index: number; text: string } | undefined {
    let best: { index: number; start: number; end: number } | undefined;
    for (const [index, pattern] of patterns.entries()) {
      const m = pattern.exec(this.#buffer);
      if (m && (!best || m.index < best.start)) best = { index, start: m.index, end: m.index + m[0].length };
    }
    if (!best) return undefined;
    const text = this.#buffer.slice(0, best.end);
    this.#buffer = this.#buffer.slice(best.end);
    return { index: best.index, text };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
