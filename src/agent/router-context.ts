import type { Actuator } from '../actuators/index.js';
import type { RouterConfig } from '../config/router-schema.js';
import type { Policy } from '../config/policy-schema.js';
import type { Logger } from '../log/logger.js';
import type { AlarmCode } from '../mqtt/contract.js';
import type { RouterClient } from '../routeros/client.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import type { TrustGate } from '../trust/trust-gate.js';
import type { RouterBinding } from '../trust/verify.js';
import type { OperationServices } from './operation.js';
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

/** Everything a flow needs about its router; the supervisor builds it. */
export interface RouterContext {
  name: string;
  config: RouterConfig;
  client: RouterClient;
  actuators: { button?: Actuator | undefined; power?: Actuator | undefined };
  identity: RouterBinding;
  gate: TrustGate;
  policy: Policy;
  publisher: Publisher;
  services: OperationServices;
  logger: Logger;
  /** Latest device-mode the watcher read, if any. */
  lastState: () => DeviceModeState | undefined;
  alarm: (alarm: AlarmInput) => Promise<void>;
  /** Aborted when the agent stops: waits end, a started pulse still completes its release. */
  signal: AbortSignal;
}

/** Press and off times of a router's actuators, for the time-left check. */
export function timingOf(ctx: Pick<RouterContext, 'config'>, method: 'button' | 'power'): { pressMs: number; offMs: number } {
  const actuator = method === 'button' ? ctx.config.actuators.button : ctx.config.actuators.power;
  return { pressMs: actuator?.timing.pressMs ?? 300, offMs: actuator?.timing.offMs ?? 8000 };
}
