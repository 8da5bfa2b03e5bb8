import type { Logger } from 'pino';
import type { DeviceModeInit } from './device-mode-engine.js';
import type { PhysicalTiming } from './physical.js';
import type { SplitReplies } from './session.js';

/** How to build a simulated router (every field optional; see docs/simulator.md). */
export interface SimulatedRouterOptions {
  /** Profile name (see profiles.ts), default `hAP-ax3`. */
  model?: string;
  routerosVersion?: string;
  identity?: string;
  user?: string;
  password?: string;
  host?: string;
  /** 0 = ephemeral. */
  apiPort?: number;
  /** api-ssl with a generated self-signed certificate. */
  tls?: boolean;
  apiSslPort?: number;
  /** Loopback HTTP control endpoint; 0 = ephemeral, false = none. Default 0. */
  controlPort?: number | false;
  timing?: Partial<PhysicalTiming>;
  /** TEST ONLY: simulated ms × scale = real ms (0.01 makes 5 min last 3 s). Default 1. */
  timeScale?: number;
  /** Cut every reply sentence into several TCP writes ('random') or single bytes ('bytes'). */
  splitReplies?: SplitReplies | true;
  /** Unconfirmed RouterOS behaviour: `!re` progress sentences while an update is pending. */
  progressWhilePending?: boolean;
  /** Unconfirmed RouterOS behaviour: other sessions get no answer while an update is pending. */
  stallOthersWhilePending?: boolean;
  /** What `/cancel` or a closed connection does to a pending update (unconfirmed; default it stays pending). */
  abandonedUpdate?: 'stays-pending' | 'cancels';
  /** When attempt-count rises: at the request (default) or when an unconfirmed attempt ends. */
  attemptCountRises?: 'at-request' | 'at-end';
  /** `!empty` for commands without data; default: RouterOS 7.18 and later. */
  emptyReplies?: boolean;
  /** `/system/reboot`: 'drops' the session without an answer (default, as real routers), or answers 'done' first. */
  rebootReply?: 'drops' | 'done';
  deviceMode?: DeviceModeInit;
  serialNumber?: string;
  systemId?: string;
  logger?: Logger;
}
