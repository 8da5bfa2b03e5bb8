import { ActuatorProtocolError } from './errors.js';
import { LOGIN_PROMPT, PASSWORD_PROMPT, type PromptSession, type PromptDialect } from './prompt-session.js';
import type { OutletProtocol } from './pdu.js';

export function apcDialect(prompt: string): PromptDialect {
  return { prompt: new RegExp(prompt), loginPrompt: LOGIN_PROMPT, passwordPrompt: PASSWORD_PROMPT };
}

/** APC AOS CLI (`apc>`): olOff/olOn/olReboot, each must answer `E000: Success`. */
export class ApcOutlet implements OutletProtocol {
  constructor(
    private readonly session: PromptSession,
    private readonly outlet: number,
  ) {}

  get description(): string {
    return `APC outlet ${this.outlet}`;
  }

  off(): Promise<void> {
    return this.#run('olOff');
  }

  on(): Promise<void> {
    return this.#run('olOn');
  }

  reboot(): Promise<void> {
    return this.#run('olReboot');
  }

  /** `olStatus 3` → `3: router: On` → 'On'. */
  async status(): Promise<string> {
    const output = await this.session.command(`olStatus ${this.outlet}`);
    const match = new RegExp(`^\\s*${this.outlet}:[^\\r\\n]*:\\s*(On|Off)\\b`, 'im').exec(output);
    if (!match?.[1])
      throw new ActuatorProtocolError(`APC olStatus ${this.outlet}: no status line in ${JSON.stringify(output)}`);
    return match[1];
  }

  async #run(verb: string): Promise<void> {
    const output = await this.session.command(`${verb} ${this.outlet}`);
    if (/E000:\s*Success/.test(output)) return;
    const code = /E\d{3}:[^\r\n]*/.exec(output)?.[0] ?? 'no E000: Success in the reply';
    throw new ActuatorProtocolError(`APC refused "${verb} ${this.outlet}": ${code.trim()}`);
  }
}
