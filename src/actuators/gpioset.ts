import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../log/logger.js';
import type { RelayOutput } from './base.js';
import { ActuatorUnavailableError } from './errors.js';
import { PI_HEADER_LABELS } from './gpio-chips.js';
import { ChildPriority, gpiosetPulseCommand, runChildPulse, type TimedPulse } from './gpio-pulse.js';

const run = promisify(execFile);

export interface GpiosetOptions {
  pin: number;
  activeLow: boolean;
  chipLabel?: string;
  logger: Logger;
  /** Directory holding gpioset/gpiodetect; PATH when unset. */
  toolDir?: string;
  /** Why sysfs was not used (backend auto), added to any error so both reasons show. */
  sysfsReason?: string;
  /** util-linux chrt, for timed presses at real-time priority; `chrt` on PATH when unset. */
  chrtTool?: string;
}

export type LibgpiodVersion = 1 | 2;

/** `gpioset (libgpiod) v1.6.3` → 1; `gpioset (libgpiod) v2.1` → 2. */
export function parseLibgpiodVersion(text: string): LibgpiodVersion {
  const match = /libgpiod\)?\s*v?(\d+)\./.exec(text);
  if (!match)
    throw new ActuatorUnavailableError(`cannot tell the libgpiod version from: ${text.trim().split('\n')[0] ?? ''}`);
  return match[1] === '1' ? 1 : 2;
}

/** `gpiochip0 [pinctrl-bcm2711] (58 lines)` lines → chip name for the wanted label. */
export function pickChip(gpiodetect: string, chipLabel?: string): string {
  const wanted = chipLabel ? [chipLabel] : PI_HEADER_LABELS;
  for (const line of gpiodetect.split('\n')) {
    const match = /^(\S+)\s+\[([^\]]*)\]/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined && wanted.includes(match[2])) return match[1];
  }
  if (!gpiodetect.trim())
    throw new ActuatorUnavailableError(
      'gpiodetect lists no gpiochip (no /dev/gpiochip*: not a Pi, or GPIO not passed into this container)',
    );
  throw new ActuatorUnavailableError(
    `no gpiochip labelled ${wanted.join(' or ')} in gpiodetect output: ${gpiodetect.trim()}`,
  );
}

/** One-shot command line that sets a line and exits (the kernel keeps the level on a Pi). */
export function gpiosetArgs(version: LibgpiodVersion, chip: string, line: number, level: 0 | 1): string[] {
  return version === 1 ? ['--mode=exit', chip, `${line}=${level}`] : ['-c', chip, '-t0', `${line}=${level}`];
}

/**
 * The character-device fallback for kernels without sysfs GPIO: libgpiod's `gpioset`,
 * v1 or v2 (different command lines). Levels are electrical; activeLow is applied here.
 */
export class GpiosetOutput implements RelayOutput {
  #version: LibgpiodVersion | undefined;
  #chip: string | undefined;
  readonly #priority: ChildPriority;

  constructor(private readonly options: GpiosetOptions) {
    this.#priority = new ChildPriority(options.logger, options.chrtTool);
  }

  get description(): string {
    return `GPIO${this.options.pin} via gpioset${this.#chip ? ` on ${this.#chip}` : ''}`;
  }

  async open(): Promise<void> {
    if (!this.#version || !this.#chip) {
      try {
        const version = parseLibgpiodVersion(await this.#tool('gpioset', ['--version']));
        const chip = pickChip(await this.#tool('gpiodetect', []), this.options.chipLabel);
        this.#version = version;
        this.#chip = chip;
      } catch (error) {
        if (!this.options.sysfsReason || !(error instanceof ActuatorUnavailableError)) throw error;
        throw new ActuatorUnavailableError(`GPIO unusable: ${this.options.sysfsReason}; and ${error.message}`, {
          cause: error,
        });
      }
      this.options.logger.info(
        { version: this.#version, chip: this.#chip, line: this.options.pin },
        'using libgpiod gpioset',
      );
    }
    await this.#priority.probe();
    await this.deenergize();
  }

  async energize(): Promise<void> {
    await this.#set(this.options.activeLow ? 0 : 1);
  }

  async deenergize(): Promise<void> {
    await this.#set(this.options.activeLow ? 1 : 0);
  }

  async close(): Promise<void> {
    if (this.#version) await this.deenergize();
  }

  /** A press timed by gpioset itself (v2 toggle period, v1 --mode=time), not by Node, at real-time priority if allowed.
   * */
  timedPulse(ms: number): TimedPulse {
    if (!this.#version || !this.#chip) throw new ActuatorUnavailableError(`${this.description} is not open`);
    const tool = this.options.toolDir ? `${this.options.toolDir}/gpioset` : 'gpioset';
    const active = this.options.activeLow ? 0 : 1;
    const command = gpiosetPulseCommand(this.#version, tool, this.#chip, this.options.pin, active, ms);
    return runChildPulse(this.#priority.wrap(command), this.description);
  }

  async #set(level: 0 | 1): Promise<void> {
    if (!this.#version || !this.#chip) throw new ActuatorUnavailableError(`${this.description} is not open`);
    await this.#tool('gpioset', gpiosetArgs(this.#version, this.#chip, this.options.pin, level));
  }

  async #tool(name: string, args: string[]): Promise<string> {
    const file = this.options.toolDir ? `${this.options.toolDir}/${name}` : name;
    try {
      const { stdout, stderr } = await run(file, args, { timeout: 5000 });
      return stdout + stderr;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT')
        throw new ActuatorUnavailableError(`${name} not found: install libgpiod tools (apt-get install gpiod)`, {
          cause: error,
        });
      throw new ActuatorUnavailableError(`${name} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, {
        cause: error,
      });
    }
  }
}
