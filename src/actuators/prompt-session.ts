import type { Logger } from '../log/logger.js';
import type { Secret } from '../config/secret.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { SerialLine } from './serial-line.js';

/** How one kind of serial console talks. */
export interface PromptDialect {
  prompt: RegExp;
  loginPrompt: RegExp;
  passwordPrompt: RegExp;
  /** A question that needs an answer before the command runs ("Sure? (Y/N)"). */
  confirm?: RegExp;
  confirmAnswer?: string;
}

export const LOGIN_PROMPT = /(login|user ?name)\s*:\s*$/i;
export const PASSWORD_PROMPT = /password\s*:\s*$/i;
const EOL = '\r';

export interface PromptSessionOptions {
  username?: string;
  password?: Secret;
  timeoutMs: number;
  logger: Logger;
}

/**
 * A command/prompt dialogue over a serial console. Every command starts by asking for a
 * fresh prompt (a bare CR), so a reopened port, an expired session or a half-read reply
 * from an earlier timeout cannot confuse it; a login prompt there is answered when
 * credentials are configured.
 */
export class PromptSession {
  constructor(
    private readonly line: SerialLine,
    private readonly dialect: PromptDialect,
    private readonly options: PromptSessionOptions,
  ) {}

  /** Sends a command and returns everything it printed up to the next prompt. */
  async command(command: string): Promise<string> {
    await this.line.ensureOpen();
    this.line.discard();
    await this.#reachPrompt();
    this.options.logger.debug({ command }, 'serial console command');
    await this.line.write(command + EOL, this.options.timeoutMs);
    const patterns = [this.dialect.prompt, ...(this.dialect.confirm ? [this.dialect.confirm] : [])];
    let output = '';
    for (let questions = 0; ; questions++) {
      const { index, text } = await this.line.expect(patterns, this.options.timeoutMs);
      output += text;
      if (index === 0) return output;
      if (questions >= 3) throw new ActuatorProtocolError(`"${command}" keeps asking for confirmation`);
      await this.line.write((this.dialect.confirmAnswer ?? 'y') + EOL, this.options.timeoutMs);
    }
  }

  async #reachPrompt(): Promise<void> {
    const { prompt, loginPrompt, passwordPrompt } = this.dialect;
    await this.line.write(EOL, this.options.timeoutMs);
    let sentUser = false;
    for (let step = 0; step < 4; step++) {
      const { index } = await this.line.expect([prompt, loginPrompt, passwordPrompt], this.options.timeoutMs);
      if (index === 0) return;
      if (!this.options.username || !this.options.password) {
        throw new ActuatorUnavailableError(`${this.line.path} asks for a login: configure username and password`);
      }
      if (index === 1) {
        if (sentUser)
          throw new ActuatorUnavailableError(`${this.line.path}: login as "${this.options.username}" was refused`);
        sentUser = true;
        await this.line.write(this.options.username + EOL, this.options.timeoutMs);
      } else {
        await this.line.write(this.options.password.reveal() + EOL, this.options.timeoutMs);
        this.options.logger.info({ user: this.options.username }, 'logged in to serial console');
      }
    }
    throw new ActuatorProtocolError(`${this.line.path}: no command prompt after login`);
  }
}
