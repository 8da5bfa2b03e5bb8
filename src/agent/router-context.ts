import type { RouterConfig } from '../config/router-schema.js';
import type { Policy } from '../config/policy-schema.js';
import type { Logger } from '../log/logger.js';
import type { AlarmCode } from '../mqtt/contract.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import type { Clock } from '../time/clock.js';
import type { Challenge } from '../trust/messages.js';
import type { ApprovalPort } from './approval-desk.js';
import type { OperationServices } from './operation.js';
import type { ActuatorPort, RouterPort } from './ports.js';
import type { OwnUpdate } from './own-update.js';
import type { Publisher } from './publisher.js';

export interface AlarmInput {
  code: AlarmCode;
  message: string;
  severity?: 'warning' | 'critical';
  type?: 'alarm' | 'security';
  operationId?: string;
  requestId?: string;
  data?: Record<string, unknown>;
}

/**
 * What the flows that act need (change, power cycle, the common tail, recovery): ports and
 * plain values, no trust. The supervisor builds it; unit tests build it from fakes.
 */
export interface FlowContext {
  name: string;
  config: RouterConfig;
  /** The router (ports.ts): reads, uptime, updates. */
  client: RouterPort;
  actuators: { button?: ActuatorPort | undefined; power?: ActuatorPort | undefined };
  policy: Policy;
  publisher: Publisher;
  services: OperationServices;
  logger: Logger;
  /** Wall time, monotonic time (CLOCK_MONOTONIC: journaled deadlines compare with it) and sleeping. */
  clock: Clock;
  /** Latest device-mode the watcher read, if any. */
  lastState: () => DeviceModeState | undefined;
  alarm: (alarm: AlarmInput) => Promise<void>;
  /** A change flow sent its own update: the supervisor attributes it and closes it if the operation fails. */
  ownUpdate?: (own: OwnUpdate) => void;
  /** The device-mode read back after an action: what the watcher compares against from now on. */
  verified?: (state: DeviceModeState) => void;
  /**
   * The challenge a draft the agent writes (a revert request) must quote: undefined while the
   * wall clock is synchronized, else the router's open order challenge (opened if none).
   */
  draftChallenge: () => Promise<Challenge | undefined>;
  /** Aborted when the agent stops: waits end, a started pulse still completes its release. */
  signal: AbortSignal;
}

/** The observed flow also waits for approvals: through its approval port, never the trust gate. */
export interface ObservedContext extends FlowContext {
  approvals: ApprovalPort;
}

/** Press and off times of a router's actuators, for the time-left check. */
export function timingOf(
  ctx: Pick<FlowContext, 'config'>,
  method: 'button' | 'power',
): { pressMs: number; offMs: number } {
  const actuator = method === 'button' ? ctx.config.actuators.button : ctx.config.actuators.power;
  return { pressMs: actuator?.timing.pressMs ?? 300, offMs: actuator?.timing.offMs ?? 8000 };
}
