import type { RelayOutput } from './base.js';
import type { TimedPulse } from './gpio-pulse.js';
import { SysfsGpioOutput, sysfsUnavailableReason, type SysfsGpioOptions } from './gpio.js';
import { GpiosetOutput } from './gpioset.js';

export interface GpioBackendOptions extends SysfsGpioOptions {
  backend: 'auto' | 'sysfs' | 'gpioset';
  toolDir?: string;
}

/**
 * Picks sysfs (onoff) or the character device (gpioset) when opened, not when built, so
 * constructing an actuator never touches /sys. `auto` prefers sysfs where it is usable.
 */
export class GpioBackendOutput implements RelayOutput {
  #inner: RelayOutput | undefined;

  constructor(private readonly options: GpioBackendOptions) {}

  get description(): string {
    return this.#inner?.description ?? `GPIO${this.options.pin} (${this.options.backend})`;
  }

  async open(): Promise<void> {
    this.#inner ??= this.#choose();
    await this.#inner.open();
  }

  async energize(): Promise<void> {
    await this.#require().energize();
  }

  async deenergize(): Promise<void> {
    await this.#require().deenergize();
  }

  async close(): Promise<void> {
    await this.#inner?.close();
  }

  timedPulse(ms: number): TimedPulse {
    const inner = this.#require();
    if (!inner.timedPulse) throw new Error(`${this.description} cannot time a pulse itself`);
    return inner.timedPulse(ms);
  }

  #choose(): RelayOutput {
    const { backend, toolDir, ...common } = this.options;
    if (backend === 'sysfs') return new SysfsGpioOutput(common);
    const sysfsReason = backend === 'auto' ? sysfsUnavailableReason() : undefined;
    if (backend === 'auto' && sysfsReason === undefined) return new SysfsGpioOutput(common);
    this.options.logger.info({ reason: sysfsReason }, 'using the gpioset backend');
    return new GpiosetOutput({ ...common, toolDir, sysfsReason });
  }

  #require(): RelayOutput {
    if (!this.#inner) throw new Error(`${this.description} is not open`);
    return this.#inner;
  }
}
