import type { ActuatorTiming } from '../../src/config/actuator-schema.js';
import type { RelayOutput } from '../../src/actuators/base.js';

export const fastTiming: ActuatorTiming = {
  pressMs: 60,
  pressMinMs: 50,
  pressMaxMs: 400,
  offMs: 80,
  offMinMs: 60,
  offMaxMs: 500,
};

/** A relay that records every level it is driven to, with the time. */
export class RecordingOutput implements RelayOutput {
  readonly description = 'recording relay';
  energized = false;
  opened = 0;
  history: Array<{ energized: boolean; at: number }> = [];
  failEnergize: Error | undefined;
  /** Number of deenergize calls to fail before succeeding. */
  failReleases = 0;
  releaseCalls = 0;

  async open(): Promise<void> {
    this.opened++;
    await this.deenergize();
  }
  async energize(): Promise<void> {
    await Promise.resolve();
    this.#set(true);
    if (this.failEnergize) throw this.failEnergize;
  }
  async deenergize(): Promise<void> {
    await Promise.resolve();
    this.releaseCalls++;
    if (this.failReleases > 0) {
      this.failReleases--;
      throw new Error('simulated release failure');
    }
    this.#set(false);
  }
  async close(): Promise<void> {
    await this.deenergize();
  }
  #set(energized: boolean): void {
    this.energized = energized;
    this.history.push({ energized, at: performance.now() });
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
