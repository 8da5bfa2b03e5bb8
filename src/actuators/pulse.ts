import type { Logger } from '../log/logger.js';
import type { ActuatorTiming } from '../config/actuator-schema.js';
import type { Clock } from '../time/clock.js';
import type { ActionEdge, ActionOptions, ActionReport } from './types.js';
import {
  ActionAbortedError,
  ActuatorBusyError,
  ActuatorError,
  ActuatorStoppedError,
  PressTooLongError,
  RestoreFailedError,
} from './errors.js';

export interface PulsePlan {
  effectiveMs: number;
  clamped: boolean;
}

function checkFinite(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0)
    throw new ActuatorError('invalid-duration', `duration must be a non-negative number of ms, got ${ms}`);
}

/** A press shorter than the minimum is lengthened; one longer than the maximum is refused. */
export function planPress(requestedMs: number | undefined, timing: ActuatorTiming): PulsePlan {
  if (requestedMs === undefined) return { effectiveMs: timing.pressMs, clamped: false };
  checkFinite(requestedMs);
  const ms = Math.round(requestedMs);
  if (ms > timing.pressMaxMs) throw new PressTooLongError(ms, timing.pressMaxMs);
  if (ms < timing.pressMinMs) return { effectiveMs: timing.pressMinMs, clamped: true };
  return { effectiveMs: ms, clamped: false };
}

/** Power-off time is clamped both ways: too short does not drain the router's capacitors. */
export function planPowerOff(requestedMs: number | undefined, timing: ActuatorTiming): PulsePlan {
  if (requestedMs === undefined) return { effectiveMs: timing.offMs, clamped: false };
  checkFinite(requestedMs);
  const ms = Math.round(requestedMs);
  const effectiveMs = Math.min(timing.offMaxMs, Math.max(timing.offMinMs, ms));
  return { effectiveMs, clamped: effectiveMs !== ms };
}

/** The two halves of a pulse, written by each driver. */
export interface PulseSteps {
  /** Close the contacts / cut the power (for effectiveMs). May throw; release runs anyway. */
  engage(effectiveMs: number): Promise<void>;
  /** Open the contacts / restore power. Retried until it succeeds. */
  release(): Promise<void>;
  engagedEdge: string;
  releasedEdge: string;
  /** Waits while engaged; defaults to sleeping the effective time. Extra edges go through `mark`. */
  hold?(ms: number, mark: (edge: string) => void): Promise<void>;
  /** Commands written to the device so far, if the driver can tell: tells "never sent" from "unknown" when engage
   * fails. */
  commandsSent?(): number;
}

export interface PulseChannelOptions {
  /** Quiet time after a release before the next operation is accepted. */
  busyAfterMs?: number;
  /** Release attempts inside the pulse before it reports RestoreFailedError. */
  releaseAttempts?: number;
  releaseRetryMs?: number;
}

/**
 * One output (relay, outlet, port): one operation at a time, and a pulse that once started
 * always runs its release, whatever happens to the caller, the engage step or the process
 * shutdown. Cancellation is honoured only before the first edge.
 */
export class PulseChannel {
  #busy = false;
  #closed = false;
  #inflight: Promise<unknown> | undefined;
  #backgroundRestore: Promise<void> | undefined;
  /** The restore loop now running, resolving true once released, false if given up at close. */
  #restoring: Promise<boolean> | undefined;
  readonly #busyAfterMs: number;
  readonly #attempts: number;
  readonly #retryMs: number;

  constructor(
    readonly name: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
    options: PulseChannelOptions = {},
  ) {
    this.#busyAfterMs = options.busyAfterMs ?? 250;
    this.#attempts = Math.max(1, options.releaseAttempts ?? 3);
    this.#retryMs = options.releaseRetryMs ?? 500;
  }

  get busy(): boolean {
    return this.#busy;
  }

  async run(
    action: ActionReport['action'],
    requestedMs: number | undefined,
    plan: PulsePlan,
    steps: PulseSteps,
    options: ActionOptions = {},
  ): Promise<ActionReport> {
    if (this.#closed) throw new ActuatorStoppedError(this.name);
    if (this.#busy) throw new ActuatorBusyError(this.name);
    if (options.signal?.aborted) throw new ActionAbortedError(this.name);
    this.#busy = true;
    const pulse = this.#pulse(action, requestedMs, plan, steps, options.onEdge);
    this.#inflight = pulse.catch(() => undefined);
    return pulse;
  }

  /**
   * Refuses new operations and waits for an in-flight pulse to finish its release (and for
   * one more attempt of a failing restore).
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#inflight;
    await this.#backgroundRestore;
  }

  async #pulse(
    action: ActionReport['action'],
    requestedMs: number | undefined,
    plan: PulsePlan,
    steps: PulseSteps,
    onEdge: ActionOptions['onEdge'],
  ): Promise<ActionReport> {
    const edges: ActionEdge[] = [];
    const mark = (edge: string): void => {
      const entry = { edge, at: this.clock.wall().toISOString(), monoMs: this.clock.mono() };
      edges.push(entry);
      try {
        onEdge?.(entry);
      } catch (error) {
        this.logger.warn({ err: error }, 'edge listener threw');
      }
    };
    let failure: Error | undefined;
    let restored = false;
    let commandsBefore: number | undefined;
    try {
      try {
        const sentAt = this.clock.mono();
        commandsBefore = steps.commandsSent?.();
        await steps.engage(plan.effectiveMs);
        mark(steps.engagedEdge);
        if (steps.hold) await steps.hold(plan.effectiveMs, mark);
        else await this.clock.sleep(holdMs(action, plan.effectiveMs, this.clock.mono() - sentAt));
      } catch (error) {
        failure = error instanceof Error ? error : new ActuatorError('failed', String(error));
        if (
          failure instanceof ActuatorError &&
          edges.length === 0 &&
          commandsBefore !== undefined &&
          steps.commandsSent?.() === commandsBefore
        ) {
          failure.nothingSent = true;
        }
        this.logger.error({ err: error, output: this.name, action }, 'actuator step failed; releasing');
      } finally {
        restored = await this.#release(steps, mark);
      }
      if (!restored) {
        this.#busy = true; // stays busy: the background loop owns the output until it is released
        const restoring = this.#restoreForever(steps);
        this.#restoring = restoring;
        void restoring.finally(() => {
          if (this.#restoring === restoring) this.#restoring = undefined;
        });
        this.#backgroundRestore = restoring.then(() => undefined);
        throw new RestoreFailedError(this.name, { cause: failure });
      }
      if (failure !== undefined) throw failure;
      await this.clock.sleep(this.#busyAfterMs);
      return { action, requestedMs, effectiveMs: plan.effectiveMs, clamped: plan.clamped, edges };
    } finally {
      if (restored) this.#busy = false;
    }
  }

  async #release(steps: PulseSteps, mark: (edge: string) => void): Promise<boolean> {
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      try {
        await steps.release();
        mark(steps.releasedEdge);
        return true;
      } catch (error) {
        this.logger.error({ err: error, output: this.name, attempt }, 'RELEASE FAILED; retrying');
        if (attempt < this.#attempts) await this.clock.sleep(this.#retryMs);
      }
    }
    return false;
  }

  /**
   * Resolves when the output is in its released/powered state: at once normally; after a
   * failed release, when the background loop finally restores it (true) or gives up
   * because the channel was closed (false).
   */
  released(): Promise<boolean> {
    return this.#restoring ?? Promise.resolve(true);
  }

  /** Never gives up while the agent runs: a router left unpowered is the worst outcome. */
  async #restoreForever(steps: PulseSteps): Promise<boolean> {
    let delay = this.#retryMs;
    for (let attempt = 1; ; attempt++) {
      await this.clock.sleep(delay);
      try {
        await steps.release();
        this.logger.warn({ output: this.name, attempt }, 'released/powered state restored after failures');
        this.#busy = false;
        return true;
      } catch (error) {
        this.logger.fatal(
          { err: error, output: this.name, attempt },
          'ROUTER MAY BE LEFT UNPOWERED/PRESSED: restore still failing',
        );
        delay = Math.min(delay * 2, 10_000);
      }
      if (this.#closed) {
        this.logger.fatal({ output: this.name }, 'shutting down with the output NOT released');
        return false;
      }
    }
  }

  /** For tests and stop(): the background restore loop, if one is running. */
  get restoring(): Promise<void> | undefined {
    return this.#backgroundRestore;
  }
}

/**
 * How long to wait between the engage step's answer and sending the release. The edge
 * happened somewhere during the engage step, and the release takes about as long to land.
 * A press is timed from sending the engage, so it lasts about the requested time and
 * never longer by a round trip (too long a press can start another button function). A
 * power cut is timed from the answer, so it is never shorter than planned (too short a cut
 * is not a cold boot).
 */
export function holdMs(action: ActionReport['action'], effectiveMs: number, engageTookMs: number): number {
  return action === 'press' ? Math.max(0, effectiveMs - engageTookMs) : effectiveMs;
}
