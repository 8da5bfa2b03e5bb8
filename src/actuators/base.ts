import type { Logger } from '../log/logger.js';
import type { ActuatorTiming } from '../config/actuator-schema.js';
import {
  PulseChannel,
  planPowerOff,
  planPress,
  type PulseChannelOptions,
  type PulsePlan,
  type PulseSteps,
} from './pulse.js';
import { realClock, type Clock } from '../time/clock.js';
import type { ActionOptions, ActionReport, Actuator, ActuatorDeps } from './types.js';
import { ActuatorError, UnsupportedActionError } from './errors.js';
import type { TimedPulse } from './gpio-pulse.js';

/**
 * The part every driver shares: clamping, the per-output lock and the pulse that always
 * releases. A driver supplies its start/stop and the engage/release steps of each action.
 */
export abstract class BaseActuator implements Actuator {
  abstract readonly kind: string;
  abstract readonly capabilities: { press: boolean; powerCycle: boolean };
  protected readonly logger: Logger;
  protected readonly clock: Clock;
  protected readonly channel: PulseChannel;

  constructor(
    readonly name: string,
    protected readonly timing: ActuatorTiming,
    deps: ActuatorDeps,
    channelOptions: PulseChannelOptions = {},
  ) {
    this.logger = deps.logger.child({ actuator: name });
    this.clock = deps.clock ?? realClock;
    this.channel = new PulseChannel(name, this.logger, this.clock, channelOptions);
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  protected abstract pressSteps(): PulseSteps;
  protected abstract powerSteps(): PulseSteps;

  async press(ms?: number, options: ActionOptions = {}): Promise<ActionReport> {
    if (!this.capabilities.press) throw new UnsupportedActionError(this.kind, 'press a button');
    const plan = planPress(ms, this.timing);
    this.#logPlan('press', ms, plan);
    return this.channel.run('press', ms, plan, this.pressSteps(), options);
  }

  async powerCycle(offMs?: number, options: ActionOptions = {}): Promise<ActionReport> {
    if (!this.capabilities.powerCycle) throw new UnsupportedActionError(this.kind, 'cut the power');
    const plan = planPowerOff(offMs, this.timing);
    this.#logPlan('power-cycle', offMs, plan);
    return this.channel.run('power-cycle', offMs, plan, this.powerSteps(), options);
  }

  get busy(): boolean {
    return this.channel.busy;
  }

  /** See PulseChannel.released: waits out a background restore after a failed release. */
  released(): Promise<boolean> {
    return this.channel.released();
  }

  #logPlan(action: string, requestedMs: number | undefined, plan: PulsePlan): void {
    if (plan.clamped)
      this.logger.warn({ action, requestedMs, effectiveMs: plan.effectiveMs }, 'duration clamped to safe bounds');
    else this.logger.info({ action, effectiveMs: plan.effectiveMs }, 'actuating');
  }
}

/** One relay contact: energize and de-energize. Wiring turns it into a button or a power cut. */
export interface RelayOutput {
  readonly description: string;
  /** Opens the hardware and drives the de-energized level, whatever it was before. */
  open(): Promise<void>;
  energize(): Promise<void>;
  deenergize(): Promise<void>;
  /** De-energizes (best effort) and closes. */
  close(): Promise<void>;
  /** Commands written to the device so far, when the output can tell (serial boards). */
  commandsSent?(): number;
  /** Energize, hold `ms` and de-energize, timed by a child process rather than the event loop (GPIO). */
  timedPulse?(ms: number): TimedPulse;
}

export type Wiring = 'normally-closed' | 'normally-open';

/**
 * A relay whose de-energized state is always the safe one: NO contacts across the button
 * (released = button up) or NC contacts in the supply (released = router powered).
 */
export class RelayActuator extends BaseActuator {
  readonly capabilities: { press: boolean; powerCycle: boolean };
  #started = false;

  constructor(
    readonly kind: string,
    name: string,
    readonly wiring: Wiring,
    readonly output: RelayOutput,
    timing: ActuatorTiming,
    deps: ActuatorDeps,
  ) {
    super(name, timing, deps);
    this.capabilities = { press: wiring === 'normally-open', powerCycle: wiring === 'normally-closed' };
  }

  async start(): Promise<void> {
    await this.output.open();
    this.#started = true;
    this.logger.info({ output: this.output.description, wiring: this.wiring }, 'relay forced to released');
  }

  async stop(): Promise<void> {
    await this.channel.close();
    try {
      await this.output.close();
    } catch (error) {
      this.logger.error({ err: error }, 'closing relay output failed');
    }
    this.#started = false;
  }

  protected pressSteps(): PulseSteps {
    const steps = this.#steps('button-down', 'button-up');
    const output = this.output;
    if (!output.timedPulse) return steps;
    // The press length is timed by a child that holds the line; the release below re-asserts it.
    let pulse: TimedPulse | undefined;
    return {
      ...steps,
      engage: async (ms) => {
        pulse = output.timedPulse!(ms);
        await pulse.started;
      },
      hold: async (ms) => {
        // A child that overruns is stopped; the release step then sets the line itself.
        const overrun = new AbortController();
        const timeout = this.clock.sleep(ms + 2000).then(() => overrun.signal.aborted || pulse?.kill());
        try {
          await pulse?.done;
        } finally {
          overrun.abort();
          void timeout;
        }
      },
    };
  }

  protected powerSteps(): PulseSteps {
    return this.#steps('power-off', 'power-on');
  }

  #steps(engagedEdge: string, releasedEdge: string): PulseSteps {
    if (!this.#started)
      throw new ActuatorError('not-started', `${this.name}: start() must run first (it forces the released state)`);
    const output = this.output;
    return {
      engagedEdge,
      releasedEdge,
      engage: () => output.energize(),
      release: () => output.deenergize(),
      ...(output.commandsSent ? { commandsSent: () => output.commandsSent!() } : {}),
    };
  }
}
