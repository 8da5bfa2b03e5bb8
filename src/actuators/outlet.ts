import type { ActuatorTiming } from '../config/actuator-schema.js';
import { BaseActuator } from './base.js';
import type { PulseSteps } from './pulse.js';
import type { ActionOptions, ActionReport, ActuatorDeps, DeviceTiming } from './types.js';
import { ActuatorProtocolError, UnsupportedActionError } from './errors.js';

/** What an outlet reads back: `cycling` = off with the device's own timer running (pending on). */
export type OutletState = 'on' | 'off' | 'cycling';

/**
 * A network-switched outlet or smart relay (SNMP PDU, Tasmota, Shelly, ...): each driver
 * implements these few calls; NetworkOutletActuator does the timing and the verification.
 */
export interface SwitchedOutlet {
  readonly description: string;
  read(): Promise<OutletState>;
  on(): Promise<void>;
  off(): Promise<void>;
  /**
   * Off now, on again by the device's own timer. Returns the off time the device will
   * really apply (rounded to what it can time, e.g. whole seconds).
   */
  cycle(offMs: number): Promise<number>;
  /** Commands that may have switched something, so far (not reads, not settings). */
  commandsSent(): number;
  close(): Promise<void>;
}

/** The longest a start or `actuator release` waits for a device's timer (systemd TimeoutStopSec is 30 s). */
export const DEVICE_WAIT_CAP_MS = 20_000;

/** How long to let a device finish a cut it may be timing: the planned off time plus grace, capped. */
export function deviceWaitMs(offMs: number): number {
  return Math.min(offMs + Math.max(3000, offMs / 2), DEVICE_WAIT_CAP_MS);
}

export interface OutletActuatorOptions {
  /** `device`: the outlet's own timer restores power (survives the agent); `host`: off, wait here, on. */
  timedBy: 'device' | 'host';
  /** Read-back interval while the device times the cut. */
  pollMs: number;
}

/**
 * A power outlet whose off period is timed by the device itself where it can (the PDU's
 * reboot command, Tasmota's PulseTime, Shelly's toggle_after): if the agent dies mid-cut
 * the router gets its power back at the planned time anyway. The outlet is read back during
 * the cut (it must be seen off, then on again by the device's timer) and the device's own
 * timing is reported. The release always reads the outlet and switches it on if needed.
 */
export class NetworkOutletActuator extends BaseActuator {
  readonly capabilities = { press: false, powerCycle: true };
  #device: DeviceTiming | undefined;

  constructor(
    readonly kind: string,
    name: string,
    private readonly outlet: SwitchedOutlet,
    private readonly options: OutletActuatorOptions,
    timing: ActuatorTiming,
    deps: ActuatorDeps,
  ) {
    super(name, timing, deps, { releaseAttempts: 5, releaseRetryMs: 1000, busyAfterMs: 500 });
  }

  async start(): Promise<void> {
    if (this.options.timedBy === 'device') await this.#awaitDeviceTimer();
    await this.#ensureOn();
    this.logger.info({ outlet: this.outlet.description, timedBy: this.options.timedBy }, 'outlet forced on');
  }

  /**
   * An outlet found off when the agent starts, or when `actuator release` runs from the
   * unit's ExecStopPost right after the agent died, may be in a cut that the device is
   * timing. Switching it on at once would shorten that cut to about a second: no cold boot,
   * and a second power loss for the router when the release lands mid-boot is no better.
   * So a device-timed outlet gets the device's own timer first: the planned off time plus
   * the same grace as during a cut, capped at DEVICE_WAIT_CAP_MS (under the unit's 30 s
   * TimeoutStopSec); then, still off, it is switched on from here. Bounded, so the router
   * is never left unpowered because of this wait.
   */
  async #awaitDeviceTimer(): Promise<void> {
    const first = await this.outlet.read().catch(() => undefined);
    if (first === 'on' || first === undefined) return; // unreadable: #ensureOn reports it
    const limitMs = deviceWaitMs(this.timing.offMs);
    const since = this.clock.mono();
    this.logger.warn(
      { state: first, limitMs },
      "outlet found off: waiting for the device's own timer before switching it on",
    );
    while (this.clock.mono() - since < limitMs) {
      await this.clock.sleep(Math.min(this.options.pollMs, Math.max(0, limitMs - (this.clock.mono() - since))));
      const state = await this.outlet.read().catch(() => undefined);
      if (state === 'on') {
        this.logger.info(
          { waitedMs: Math.round(this.clock.mono() - since) },
          'the device restored the power by its own timer',
        );
        return;
      }
    }
    this.logger.warn({ limitMs }, 'the device did not restore the power in time; switching it on from here');
  }

  async stop(): Promise<void> {
    await this.channel.close();
    await this.outlet
      .close()
      .catch((error: unknown) => this.logger.error({ err: error }, 'closing outlet client failed'));
  }

  override async powerCycle(offMs?: number, options: ActionOptions = {}): Promise<ActionReport> {
    this.#device = undefined;
    const report = await super.powerCycle(offMs, options);
    return this.#device ? { ...report, device: this.#device } : report;
  }

  protected pressSteps(): PulseSteps {
    throw new UnsupportedActionError(this.kind, 'press a button');
  }

  protected powerSteps(): PulseSteps {
    const commandsSent = (): number => this.outlet.commandsSent();
    const release = (): Promise<void> => this.#ensureOn();
    if (this.options.timedBy === 'host') {
      return {
        engagedEdge: 'outlet-off',
        releasedEdge: 'outlet-on-confirmed',
        engage: () => this.outlet.off(),
        release,
        commandsSent,
      };
    }
    let plannedMs = 0;
    return {
      engagedEdge: 'cycle-sent',
      releasedEdge: 'outlet-on-confirmed',
      engage: async (offMs) => {
        plannedMs = await this.outlet.cycle(offMs);
      },
      hold: (ms, mark) => this.#watchCycle(plannedMs || ms, mark),
      release,
      commandsSent,
    };
  }

  /**
   * Reads the outlet until the device's timer switched it back on: it must be seen off
   * first. Returns early (the release then switches it on from here) when the device is
   * late; throws when the outlet was never seen off (the cut did not happen as planned).
   */
  async #watchCycle(plannedMs: number, mark: (edge: string) => void): Promise<void> {
    const sentAt = this.clock.mono();
    const deadline = sentAt + plannedMs + Math.max(3000, plannedMs / 2);
    let offSeenAt: number | undefined;
    let lastError: unknown;
    for (;;) {
      const state = await this.outlet.read().catch((error: unknown) => {
        lastError = error;
        this.logger.warn({ err: error }, 'outlet read-back failed during the cut');
        return undefined;
      });
      const now = this.clock.mono();
      if (state !== undefined && state !== 'on' && offSeenAt === undefined) {
        offSeenAt = now;
        mark(`outlet-${state}-read-back`);
      }
      if (state === 'on' && offSeenAt !== undefined) {
        const observedOffMs = Math.round(now - sentAt);
        mark(`outlet-on-by-device-after-${observedOffMs}ms`);
        if (observedOffMs + this.options.pollMs < plannedMs) {
          mark('device-off-shorter-than-planned');
          this.logger.warn(
            { plannedMs, observedOffMs },
            'the device restored the power before the planned time: check its reboot duration',
          );
        }
        this.#device = {
          timedBy: 'device',
          plannedOffMs: plannedMs,
          observedOffMs,
          resolutionMs: this.options.pollMs,
          onTime: true,
        };
        this.logger.info({ plannedMs, observedOffMs }, 'device restored the power by its own timer');
        return;
      }
      if (state === 'on' && now - sentAt > Math.min(plannedMs, 2 * this.options.pollMs + 1000)) {
        throw new ActuatorProtocolError(
          `${this.outlet.description}: accepted the cycle command but reads on and was never seen off`,
        );
      }
      if (now >= deadline) break;
      await this.clock.sleep(Math.min(this.options.pollMs, Math.max(0, deadline - now)));
    }
    if (offSeenAt === undefined) {
      throw new ActuatorProtocolError(`${this.outlet.description}: never read back off during the planned cut`, {
        cause: lastError,
      });
    }
    const waitedMs = Math.round(this.clock.mono() - sentAt);
    this.#device = {
      timedBy: 'device',
      plannedOffMs: plannedMs,
      observedOffMs: waitedMs,
      resolutionMs: this.options.pollMs,
      onTime: false,
    };
    mark('device-timer-overdue');
    this.logger.error(
      { plannedMs, waitedMs },
      'the device did not restore the power in time; switching it on from here',
    );
  }

  /** On, read back: the only state the agent ever leaves an outlet in. */
  async #ensureOn(): Promise<void> {
    if ((await this.outlet.read()) === 'on') return;
    await this.outlet.on();
    const state = await this.outlet.read();
    if (state !== 'on')
      throw new ActuatorProtocolError(`${this.outlet.description}: reads ${state} after switching it on`);
  }
}
