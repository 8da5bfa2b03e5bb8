import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';

/** One timestamped edge of an action, for the audit log. */
export interface ActionEdge {
  edge: string;
  /** Wall clock (ISO 8601). */
  at: string;
  /** performance.now() at the edge: differences between edges are exact. */
  monoMs: number;
}

export interface ActionReport {
  action: 'press' | 'power-cycle';
  requestedMs: number | undefined;
  effectiveMs: number;
  clamped: boolean;
  edges: ActionEdge[];
}

export interface ActionOptions {
  /** Honoured only before the first edge: a started pulse always completes its release. */
  signal?: AbortSignal;
  /** Called at each edge as it happens (the report carries them all at the end). */
  onEdge?: (edge: ActionEdge) => void;
}

/** A button relay, a power relay, a PDU outlet, a PoE port or the simulator. */
export interface Actuator {
  readonly kind: string;
  readonly capabilities: { press: boolean; powerCycle: boolean };
  /** Forces every output to released/powered; idempotent. */
  start(): Promise<void>;
  /** Waits for an in-flight pulse to release, releases, closes ports; never throws past a release. */
  stop(): Promise<void>;
  press(ms?: number, options?: ActionOptions): Promise<ActionReport>;
  powerCycle(offMs?: number, options?: ActionOptions): Promise<ActionReport>;
  /**
   * Resolves true once the output is released/powered: at once normally; after a release
   * that failed (RestoreFailedError), when the background retries finally succeed; false if
   * the actuator was stopped first.
   */
  released?(): Promise<boolean>;
  /** An operation is running, or a failed release is still being retried: a new one gets ActuatorBusyError. */
  readonly busy?: boolean;
}

export interface ActuatorDeps {
  logger: Logger;
  clock?: Clock;
}
