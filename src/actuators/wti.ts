import { ActuatorProtocolError } from './errors.js';
import { LOGIN_PROMPT, PASSWORD_PROMPT, type PromptSession, type PromptDialect } from './prompt-session.js';
import type { OutletProtocol } from './pdu.js';

export function wtiDialect(prompt: string): PromptDialect {
  return {
    prompt: new RegExp(prompt),
    loginPrompt: LOGIN_PROMPT,
    passwordPrompt: PASSWORD_PROMPT,
    // ",y" should suppress it, but older firmware asks anyway.
    confirm: /Sure\?[^\r\n]*$/i,
    confirmAnswer: 'y',
  };
}

/** WTI NPS/RPC/VMR text interface: `/OFF 3,y`, `/ON 3,y`, `/BOOT 3,y` (plug number or name). */
export class WtiOutlet implements OutletProtocol {
  constructor(
    private readonly session: PromptSession,
    private readonly plug: number | string,
  ) {}

  get description(): string {
    return `WTI plug ${this.plug}`;
  }

  off(): Promise<void> {
    return this.#run('/OFF');
  }

  on(): Promise<void> {
    return this.#run('/ON');
  }

  reboot(): Promise<void> {
    return this.#run('/BOOT');
  }

  async #run(verb: string): Promise<void> {
    const output = await this.session.command(`${verb} ${this.plug},y`);
    const failure = /^.*(invalid|error|denied|not allowed|unknown).*$/im.exec(output);
    if (failure) throw new ActuatorProtocolError(`WTI refused "${verb} ${this.plug}": ${failure[0].trim()}`);
  }
}
