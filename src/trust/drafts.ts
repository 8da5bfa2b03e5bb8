import { randomBytes } from 'node:crypto';
import { DEVICE_MODES, DEVICE_MODE_FEATURES } from '../routeros/device-mode.js';
import type { DeviceMode, DeviceModeChange, DeviceModeFeature } from '../routeros/device-mode.js';
import { changeDigest, deviceModeChangeSchema } from './change.js';
import { approvalSchema, changeRequestSchema, powerCycleSchema } from './messages.js';
import type { Approval, ChangeRequest, Challenge, PowerCycle, Requester, RouterRef } from './messages.js';
import type { SignedMessage } from './messages.js';
import { refuse } from './refusal.js';
import { parseRosDuration } from '../routeros/duration.js';
import { notOneOf } from '../text/did-you-mean.js';

/** Pure builders for the operator CLI: options in, a schema-valid payload out. */

export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/** "90s", "5m", "1h30m", "1d" or plain seconds: the one duration grammar (src/routeros/duration.ts), whole seconds. */
export function parseDurationSeconds(text: string): number {
  const ms = parseRosDuration(text);
  if (ms === undefined || ms % 1000 !== 0) refuse('bad-payload', `"${text}" is not a duration in whole seconds (like 90s, 5m, 1h30m, 1d)`);
  return ms / 1000;
}

/** An absolute ISO time, or "+30m" relative to now. */
export function parseTime(text: string, now: number): string {
  const relative = /^\+(.+)$/.exec(text.trim());
  if (relative) return new Date(now + parseDurationSeconds(relative[1]!) * 1000).toISOString();
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) refuse('bad-payload', `"${text}" is not a time (ISO 8601 like 2026-05-01T22:00:00Z, or +30m)`);
  return new Date(ms).toISOString();
}

export interface ChangeOptions {
  enable?: string[];
  disable?: string[];
  mode?: string;
  flaggedNo?: boolean;
}

function asFeature(name: string): DeviceModeFeature {
  if (!(DEVICE_MODE_FEATURES as readonly string[]).includes(name)) {
    refuse('bad-payload', notOneOf(name, 'a device-mode feature', DEVICE_MODE_FEATURES));
  }
  return name as DeviceModeFeature;
}

/** "mode=rose,container=yes,socks=no,flagged=no" (the form `describeChange` prints). */
export function parseChangeSpec(spec: string): ChangeOptions {
  const options: Required<Omit<ChangeOptions, 'mode'>> & { mode?: string } = { enable: [], disable: [], flaggedNo: false };
  for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
    const [key, value] = part.split('=', 2);
    const on = value === 'yes' || value === 'true';
    if (!key || (!on && value !== 'no' && value !== 'false' && key !== 'mode')) refuse('bad-payload', `"${part}" is not feature=yes|no, mode=M or flagged=no`);
    if (key === 'mode') options.mode = value;
    else if (key === 'flagged') {
      if (on) refuse('bad-payload', 'flagged can only be set to no');
      options.flaggedNo = true;
    } else (on ? options.enable : options.disable).push(key);
  }
  return options;
}

export function buildChange(options: ChangeOptions): DeviceModeChange {
  const features: Partial<Record<DeviceModeFeature, boolean>> = {};
  for (const f of options.enable ?? []) features[asFeature(f)] = true;
  for (const f of options.disable ?? []) {
    if (features[asFeature(f)] === true) refuse('bad-payload', `feature ${f} is both enabled and disabled`);
    features[asFeature(f)] = false;
  }
  const change: DeviceModeChange = {};
  if (options.mode !== undefined) {
    if (!(DEVICE_MODES as readonly string[]).includes(options.mode)) refuse('bad-payload', `--mode: ${notOneOf(options.mode, 'a device-mode', DEVICE_MODES)}`);
    change.mode = options.mode as DeviceMode;
  }
  if (Object.keys(features).length > 0) change.features = features;
  if (options.flaggedNo) change.flagged = false;
  const parsed = deviceModeChangeSchema.safeParse(change);
  if (!parsed.success) refuse('bad-payload', parsed.error.issues[0]?.message ?? 'invalid change');
  return change;
}

export function routerRef(options: { routerSerial?: string; routerSystemId?: string }): RouterRef {
  if ((options.routerSerial === undefined) === (options.routerSystemId === undefined)) {
    refuse('bad-payload', 'give exactly one of --router-serial or --router-system-id');
  }
  return options.routerSerial !== undefined ? { serial: options.routerSerial } : { systemId: options.routerSystemId! };
}

export interface CommonOptions {
  agent: string;
  router: RouterRef;
  requester: Requester;
  now: number;
  notBefore?: string;
  notAfter?: string;
  requestId?: string;
  /** Bind to a challenge the agent published: freshness without wall time. */
  challenge?: Challenge;
}

/** The reference a request or power cycle carries to a challenge of the same agent and router. */
export function bindChallenge(challenge: Challenge, agent: string, router: RouterRef): { challengeId: string; nonce: string } {
  if (challenge.agent !== agent || challenge.router.serial !== router.serial || challenge.router.systemId !== router.systemId) {
    refuse('wrong-challenge', `challenge ${challenge.challengeId} is for agent ${challenge.agent}, router ${JSON.stringify(challenge.router)}`);
  }
  return { challengeId: challenge.challengeId, nonce: challenge.nonce };
}

function target(options: Omit<CommonOptions, 'requester'>) {
  const window =
    options.notBefore || options.notAfter
      ? {
          ...(options.notBefore ? { notBefore: parseTime(options.notBefore, options.now) } : {}),
          ...(options.notAfter ? { notAfter: parseTime(options.notAfter, options.now) } : {}),
        }
      : undefined;
  return {
    v: 1 as const,
    requestId: options.requestId ?? newRequestId(),
    agent: options.agent,
    router: options.router,
    issuedAt: new Date(options.now).toISOString(),
    ...(window ? { window } : {}),
  };
}

function common(options: CommonOptions) {
  return { ...target(options), requester: options.requester };
}

function challengeRef(options: CommonOptions) {
  return options.challenge ? { challenge: bindChallenge(options.challenge, options.agent, options.router) } : {};
}

function validated<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse('bad-payload', `${issue?.path.map(String).join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function buildChangeRequest(
  options: CommonOptions & { change: DeviceModeChange; method: 'button' | 'power'; activationTimeoutSeconds: number },
): ChangeRequest {
  return validated(changeRequestSchema, {
    ...common(options),
    kind: 'change-request',
    change: options.change,
    digest: changeDigest(options.change),
    method: options.method,
    activationTimeoutSeconds: options.activationTimeoutSeconds,
    ...challengeRef(options),
  });
}

/** An approval quoting the challenge exactly as the agent published it. */
export function buildApproval(
  challenge: Challenge,
  options: Omit<CommonOptions, 'agent' | 'router' | 'challenge' | 'requester'> & {
    expect: DeviceModeChange;
    method: 'button' | 'power';
  },
): Approval {
  if (!challenge.observed) refuse('bad-payload', `challenge ${challenge.challengeId} observed no pending change; nothing to approve`);
  return validated(approvalSchema, {
    ...target({ ...options, agent: challenge.agent, router: challenge.router }),
    kind: 'approval',
    challenge: { challengeId: challenge.challengeId, nonce: challenge.nonce, observed: challenge.observed },
    expect: options.expect,
    digest: changeDigest(options.expect),
    method: options.method,
  });
}

export function buildPowerCycle(
  options: CommonOptions & { reason: 'hung' | 'reset-attempt-count'; note?: string; acceptPending?: { expect?: DeviceModeChange } },
): PowerCycle {
  const pending = options.acceptPending;
  return validated(powerCycleSchema, {
    ...common(options),
    kind: 'power-cycle',
    reason: options.reason,
    ...(pending ? { acceptPending: pending.expect ? { expect: pending.expect, digest: changeDigest(pending.expect) } : {} } : {}),
    ...(options.note ? { note: options.note } : {}),
    ...challengeRef(options),
  });
}

export type { SignedMessage };
