/**
 * The small interfaces the flows need, instead of concrete classes: a router port (read
 * device-mode and uptime, request an update) and an actuator port (act, released, busy).
 * The supervisor hands the real ones (RouterClient and the update session, the drivers);
 * unit tests hand fakes and walk a flow state by state (test/agent/flows.test.ts).
 */
import type { Actuator } from '../actuators/types.js';
import type { RouterConfig } from '../config/router-schema.js';
import type { Logger } from '../log/logger.js';
import type { RouterClient } from '../routeros/client.js';
import type { CommandOptions } from '../routeros/connection.js';
import type { DeviceModeChange, DeviceModeState } from '../routeros/device-mode.js';
import type { RouterResource } from '../routeros/parse.js';
import { requestUpdate, type UpdatePhase, type UpdateRequest } from '../routeros/update-request.js';
import type { UptimeReader } from './reboot-wait.js';

export type ReadOptions = Pick<CommandOptions, 'timeoutMs' | 'signal'>;

/**
 * A device-mode update in flight: its phases so far, each as it comes, and its outcome. Handed
 * over right before the action, it stops its own reads; the operation's reboot wait is then the
 * one watch of the reboot, and tells it what it saw (settleBy).
 */
export type UpdateSession = Pick<UpdateRequest, 'phases' | 'outcome' | 'handOver' | 'settleBy'> &
  AsyncIterable<UpdatePhase>;

/** What a flow does with its router. */
export interface RouterPort extends UptimeReader {
  readDeviceMode(options?: ReadOptions): Promise<DeviceModeState>;
  readResource(options?: ReadOptions): Promise<RouterResource>;
  /** Skip the rest of a reconnect backoff: the router is expected back now. */
  retryNow(): void;
  /** Requests a device-mode update on a dedicated session and follows it. */
  requestUpdate(
    change: DeviceModeChange,
    activationTimeoutSeconds: number,
    options: { logger: Logger; signal: AbortSignal },
  ): UpdateSession;
}

/** What a flow does with an actuator: act once, know when it is released, know when it is busy. */
export type ActuatorPort = Pick<Actuator, 'kind' | 'press' | 'powerCycle' | 'released' | 'busy'>;

/** The real router port: reads through the router's long-lived client, updates on their own session. */
export function routerPort(config: RouterConfig, client: RouterClient): RouterPort {
  return {
    readDeviceMode: (options) => client.readDeviceMode(options),
    readResource: (options) => client.readResource(options),
    retryNow: () => client.retryNow(),
    requestUpdate: (change, activationTimeoutSeconds, options) =>
      requestUpdate(config, change, activationTimeoutSeconds, { ...options, reader: client }),
  };
}
