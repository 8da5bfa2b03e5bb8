import type { Policy } from '../../../config/policy-schema.js';
import { DEVICE_MODES, DEVICE_MODE_FEATURES } from '../../../routeros/device-mode.js';
import type { WallClock } from '../../../time/wall-clock.js';
import { createWallClock, fixedClock } from '../../../time/wall-clock.js';
import type { RouterRef } from '../../../trust/messages.js';
import { NonceStore } from '../../../trust/nonce-store.js';
import { ReplayStore } from '../../../trust/replay-store.js';
import { SkCounterStore } from '../../../trust/ssh/sk-counters.js';
import type { TrustRoot } from '../../../trust/trust-root.js';
import type { VerifyContext } from '../../../trust/verify.js';
import { CliError } from '../../cli-error.js';
import { EXIT_INPUT } from './io.js';

/**
 * Offline verification runs the agent's verifiers with what the operator knows. What it
 * cannot know (the agent's local policy, its replay memory, whether its clock is synced)
 * is filled in permissively and listed, so "OK" never claims more than was checked.
 */
export const PERMISSIVE_POLICY: Policy = {
  allowedFeatures: [...DEVICE_MODE_FEATURES],
  allowedModes: [...DEVICE_MODES],
  allowFlaggedClear: true,
  maxOperationsPerHour: 60,
  minActionMarginMs: 15_000,
};

export interface OfflineOptions {
  agent?: string;
  routerSerial?: string;
  routerSystemId?: string;
  clock: string;
  now?: string;
}

export function offlineClock(o: OfflineOptions): WallClock {
  if (o.clock !== 'systemd' && o.clock !== 'assume-synced' && o.clock !== 'assume-unsynced') {
    throw new CliError('--clock is systemd, assume-synced or assume-unsynced', EXIT_INPUT);
  }
  if (o.now === undefined) return createWallClock(o.clock);
  const at = Date.parse(o.now);
  if (Number.isNaN(at)) throw new CliError(`--now "${o.now}" is not an ISO time`, EXIT_INPUT);
  return fixedClock(at, o.clock !== 'assume-unsynced');
}

export function offlineContext(
  root: TrustRoot,
  message: { agent?: unknown; router?: unknown },
  o: OfflineOptions,
): { ctx: VerifyContext; unchecked: string[] } {
  const unchecked = ['local policy and rate limit of the agent', "the agent's replay memory and security-key counters"];
  const claimed = (message.router ?? {}) as RouterRef;
  let agentId = o.agent;
  if (agentId === undefined) {
    agentId = typeof message.agent === 'string' ? message.agent : '';
    unchecked.push('target agent (give --agent)');
  }
  let router: VerifyContext['router'];
  if (o.routerSerial !== undefined || o.routerSystemId !== undefined) {
    router = {
      name: 'router',
      methods: ['button', 'power'],
      ...(o.routerSerial ? { serial: o.routerSerial } : {}),
      ...(o.routerSystemId ? { systemId: o.routerSystemId } : {}),
    };
  } else {
    router = { name: 'router', methods: ['button', 'power'], ...claimed };
    unchecked.push('target router (give --router-serial or --router-system-id)');
  }
  const ctx: VerifyContext = {
    trustRoot: root,
    agentId,
    router,
    clock: offlineClock(o),
    policy: PERMISSIVE_POLICY,
    replayStore: new ReplayStore(),
    // No memory offline: the counters are checked by the agent (docs/hardware-keys.md).
    skCounters: new SkCounterStore(),
    nonceStore: new NonceStore(),
  };
  return { ctx, unchecked };
}
