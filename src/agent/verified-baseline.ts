import { join } from 'node:path';
import type { DeviceModeState } from '../routeros/device-mode.js';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { compareDeviceMode } from './decisions.js';

/** A router's last verified device-mode: what a power cycle must bring back by default. */
export interface Verified {
  deviceMode: DeviceModeState;
  /** Wall time it was recorded (for people). */
  at: string;
}

/** The same device-mode, everything a change could touch included (flagging-enabled, allowed-versions). */
function sameMode(a: DeviceModeState, b: DeviceModeState): boolean {
  return compareDeviceMode(a, b).length === 0;
}

/**
 * The last verified device-mode of each router, kept in the state directory so that a power
 * cycle after a site power loss (the Pi restarted, the router hung) still knows what the
 * router must come back with. Verified means: read with no change pending (attempt-count 0)
 * and either the first reading ever, the same device-mode as before, or the first reading
 * after an operation of ours ended verified. A device-mode that changed any other way (a
 * power cycle that confirmed someone's change) is never taken as verified: the revert goes
 * back to the last one that was.
 */
export class VerifiedBaseline {
  readonly #path: string;
  #routers: Record<string, Verified> = {};
  /** Routers whose next clean reading is verified (an operation of ours just ended done). */
  readonly #trustNext = new Set<string>();

  constructor(stateDir: string) {
    this.#path = join(stateDir, 'verified.json');
  }

  async load(): Promise<void> {
    this.#routers = (await readJsonFile<{ routers?: Record<string, Verified> }>(this.#path))?.routers ?? {};
  }

  get(router: string): Verified | undefined {
    return this.#routers[router];
  }

  /**
   * An operation of ours ended verified with `state` read back: that is the baseline now (in
   * memory at once, so an order right after it expects it), and the next clean reading too.
   */
  async operationVerified(router: string, state: DeviceModeState | undefined, now: Date): Promise<void> {
    this.#trustNext.add(router);
    if (!state || state.attemptCount !== 0) return;
    const next = { ...this.#routers, [router]: { deviceMode: state, at: now.toISOString() } };
    this.#routers = next;
    await writeJsonAtomic(this.#path, { v: 1, routers: next });
  }

  /** A reading with no operation running; written (durably) only when the baseline changes. */
  async observe(router: string, state: DeviceModeState, now: Date): Promise<void> {
    if (state.attemptCount !== 0) return;
    const current = this.#routers[router];
    const trusted = this.#trustNext.has(router) || current === undefined;
    if (!trusted && !sameMode(current.deviceMode, state)) return;
    this.#trustNext.delete(router);
    if (current && sameMode(current.deviceMode, state) && current.deviceMode.attemptCount === 0) return;
    const next = { ...this.#routers, [router]: { deviceMode: state, at: now.toISOString() } };
    await writeJsonAtomic(this.#path, { v: 1, routers: next });
    this.#routers = next;
  }
}
