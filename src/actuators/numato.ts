import type { RelayOutput } from './base.js';
import { ActuatorProtocolError } from './errors.js';
import type { PromptDialect, PromptSession } from './prompt-session.js';
import type { SerialLine } from './serial-line.js';

/** Numato's console: an echo, the answer, then a `>` prompt; no login. */
export const NUMATO_DIALECT: PromptDialect = { prompt: />\s*$/, loginPrompt: /(?!)/, passwordPrompt: /(?!)/ };

/** Relays 0-9 are digits, 10 and up letters: 10 = A, 11 = B, ... */
export function numatoRelayId(relay: number): string {
  return relay < 10 ? String(relay) : String.fromCharCode(65 + relay - 10);
}

/**
 * Numato USB relay modules (CDC ACM): `relay on N`, `relay off N`, `relay read N`. Unlike the
 * LCUS boards they answer, so every switch is read back: closed loop.
 */
export class NumatoOutput implements RelayOutput {
  constructor(
    private readonly line: SerialLine,
    private readonly session: PromptSession,
    private readonly relay: number,
  ) {}

  commandsSent(): number {
    return this.line.writesStarted;
  }

  get description(): string {
    return `Numato relay ${numatoRelayId(this.relay)} on ${this.line.path}`;
  }

  async open(): Promise<void> {
    await this.deenergize();
  }

  async energize(): Promise<void> {
    await this.#switch('on');
  }

  async deenergize(): Promise<void> {
    await this.#switch('off');
  }

  async close(): Promise<void> {
    try {
      await this.deenergize();
    } finally {
      await this.line.close();
    }
  }

  async #switch(state: 'on' | 'off'): Promise<void> {
    const id = numatoRelayId(this.relay);
    await this.session.command(`relay ${state} ${id}`);
    const reply = await this.session.command(`relay read ${id}`);
    // The reply holds the echoed command, then the state on its own line.
    const read = /^\s*(on|off)\s*$/m.exec(reply.replace(`relay read ${id}`, ''))?.[1];
    if (read !== state)
      throw new ActuatorProtocolError(
        `${this.description}: switched ${state} but reads back ${read ?? JSON.stringify(reply)}`,
      );
  }
}
