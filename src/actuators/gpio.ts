import { access, constants, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Gpio } from 'onoff';
import type { Logger } from '../log/logger.js';
import type { RelayOutput } from './base.js';
import { ChildPriority, runChildPulse, sysfsPulseCommand, type TimedPulse } from './gpio-pulse.js';
import { ActuatorUnavailableError } from './errors.js';
import { SYSFS_GPIO_ROOT, mapBcmPin, readGpioChips, type PinMapping } from './gpio-chips.js';

export interface SysfsGpioOptions {
  pin: number;
  activeLow: boolean;
  chipLabel?: string;
  logger: Logger;
  /** How long udev may take to make a freshly exported pin writable. */
  exportTimeoutMs?: number;
  /** util-linux chrt, for timed presses at real-time priority; `chrt` on PATH when unset. */
  chrtTool?: string;
}

const ERRNO_HINTS: Record<string, string> = {
  EINVAL: 'the kernel rejected the number (wrong gpiochip base?)',
  EBUSY: 'the line is claimed by a kernel driver or a libgpiod user',
  EACCES: 'permission denied: run as root or add the user to the gpio group',
};

/** Why sysfs GPIO cannot be used here, in words an installer can act on; undefined when it can. */
export function sysfsUnavailableReason(): string | undefined {
  if (Gpio.accessible) return undefined;
  if (!existsSync(SYSFS_GPIO_ROOT)) {
    return `${SYSFS_GPIO_ROOT} does not exist: this kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS)`;
  }
  return `${SYSFS_GPIO_ROOT}/export is not writable: run as root or add the user to the gpio group`;
}

/**
 * A relay input on a Raspberry Pi header pin, through onoff (sysfs). The value file holds the
 * logical level (1 = relay energized); `active_low` makes the kernel invert it electrically.
 */
export class SysfsGpioOutput implements RelayOutput {
  #gpio: Gpio | undefined;
  #mapping: PinMapping | undefined;
  readonly #priority: ChildPriority;

  constructor(private readonly options: SysfsGpioOptions) {
    this.#priority = new ChildPriority(options.logger, options.chrtTool);
  }

  get description(): string {
    const m = this.#mapping;
    return m ? `GPIO${m.bcm} (sysfs gpio${m.sysfs} on ${m.chip.name} "${m.chip.label}")` : `GPIO${this.options.pin}`;
  }

  get mapping(): PinMapping | undefined {
    return this.#mapping;
  }

  async open(): Promise<void> {
    if (this.#gpio) {
      await this.deenergize();
      return;
    }
    const reason = sysfsUnavailableReason();
    if (reason) throw new ActuatorUnavailableError(`${reason}; backend gpioset uses the character device instead`);
    const mapping = mapBcmPin(await readGpioChips(SYSFS_GPIO_ROOT), this.options.pin, this.options.chipLabel);
    this.#mapping = mapping;
    this.options.logger.info({ bcm: mapping.bcm, sysfs: mapping.sysfs, chip: mapping.chip }, 'GPIO pin mapped');
    await this.#export(mapping.sysfs);
    // 'high'/'low' set the electrical level together with the direction, so the pin never
    // passes through an energizing level. Physical high releases an active-low relay.
    // reconfigureDirection: false, because re-writing 'out' would drive the pin to 0.
    const releasedDirection = this.options.activeLow ? 'high' : 'low';
    const gpio = new Gpio(mapping.sysfs, releasedDirection, 'none', {
      activeLow: this.options.activeLow,
      reconfigureDirection: false,
    });
    this.#gpio = gpio;
    // onoff swallows configuration errors on a pin that already existed; check the result.
    if (gpio.direction() === 'in')
      throw new ActuatorUnavailableError(`${this.description}: could not make the pin an output`);
    // A crash leaves a pin exported as an output at its last value: force released.
    await gpio.write(0);
    await this.#priority.probe();
  }

  async energize(): Promise<void> {
    await this.#require().write(1);
  }

  async deenergize(): Promise<void> {
    await this.#require().write(0);
  }

  /** A press timed by a shell writing the value file (see gpio-pulse.ts), not by Node. */
  timedPulse(ms: number): TimedPulse {
    this.#require();
    const valueFile = join(SYSFS_GPIO_ROOT, `gpio${this.#mapping!.sysfs}`, 'value');
    return runChildPulse(this.#priority.wrap(sysfsPulseCommand(valueFile, ms)), this.description);
  }

  /** Leaves the pin exported and driven released: unexporting would let it float. */
  async close(): Promise<void> {
    const gpio = this.#gpio;
    if (!gpio) return;
    try {
      gpio.writeSync(0);
    } finally {
      this.#gpio = undefined;
    }
    await Promise.resolve();
  }

  #require(): Gpio {
    if (!this.#gpio) throw new ActuatorUnavailableError(`${this.description} is not open`);
    return this.#gpio;
  }

  async #export(sysfs: number): Promise<void> {
    const dir = join(SYSFS_GPIO_ROOT, `gpio${sysfs}`);
    if (existsSync(dir)) {
      this.options.logger.warn({ sysfs }, 'pin was already exported (earlier crash?); forcing it to released');
      return;
    }
    try {
      await writeFile(join(SYSFS_GPIO_ROOT, 'export'), String(sysfs));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      throw new ActuatorUnavailableError(`export of gpio${sysfs} failed: ${code} ${ERRNO_HINTS[code] ?? ''}`.trim(), {
        cause: error,
      });
    }
    // udev may need a moment to create the files and fix their permissions; onoff would
    // spin synchronously, this waits without blocking the event loop.
    const deadline = Date.now() + (this.options.exportTimeoutMs ?? 5000);
    for (;;) {
      try {
        await access(join(dir, 'value'), constants.R_OK | constants.W_OK);
        await access(join(dir, 'direction'), constants.W_OK);
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new ActuatorUnavailableError(`gpio${sysfs} did not become writable after export`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
}
