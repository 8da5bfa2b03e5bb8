import type { RelayOutput } from './base.js';
import type { SerialLine } from './serial-line.js';

/** `A0 <channel> <op> <sum>`: e.g. A0 01 01 A2 closes relay 1, A0 01 00 A1 opens it. */
export function lcusFrame(channel: number, on: boolean): Buffer {
  const op = on ? 0x01 : 0x00;
  return Buffer.from([0xa0, channel, op, (0xa0 + channel + op) & 0xff]);
}

export interface LcusOptions {
  channel: number;
  /** Clones that energize on 00. */
  inverted: boolean;
  timeoutMs: number;
}

/**
 * LCUS-1/2/4/8 USB relay boards (CH340, 9600 8N1). They mostly never answer: open loop, so
 * every release is written again on start and stop, and a write that cannot complete
 * (unplugged board) fails loudly and is retried by the pulse.
 */
export class LcusOutput implements RelayOutput {
  constructor(
    private readonly line: SerialLine,
    private readonly options: LcusOptions,
  ) {}

  commandsSent(): number {
    return this.line.writesStarted;
  }

  get description(): string {
    return `LCUS relay ${this.options.channel} on ${this.line.path}${this.options.inverted ? ' (inverted)' : ''}`;
  }

  async open(): Promise<void> {
    await this.line.ensureOpen();
    await this.deenergize();
  }

  async energize(): Promise<void> {
    await this.line.write(lcusFrame(this.options.channel, !this.options.inverted), this.options.timeoutMs);
  }

  async deenergize(): Promise<void> {
    await this.line.write(lcusFrame(this.options.channel, this.options.inverted), this.options.timeoutMs);
  }

  async close(): Promise<void> {
    try {
      if (this.line.isOpen) await this.deenergize();
    } finally {
      await this.line.close();
    }
  }
}
