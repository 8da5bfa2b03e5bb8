import { randomBytes } from 'node:crypto';
import { DEVICE_MODES, DEVICE_MODE_FEATURES } from '../routeros/device-mode.js';
import type { DeviceMode, DeviceModeChange, DeviceModeFeature } from '../routeros/device-mode.js';
import { changeDigest, deviceModeChangeSchema } from './change.js';
import {
  ACTIVATION_TIMEOUT_SECONDS,
  approvalSchema,
  cancelSchema,
  changeRequestSchema,
  powerCycleSchema,
} from './messages.js';
import type { Approval, Cancel, ChangeRequest, Challenge, PowerCycle, Requester, RouterRef } from './messages.js';
import type { SignedMessage } from './messages.js';
import { refuse, TrustError } from './refusal.js';
import { parseRosDuration } from '../routeros/duration.js';
import { notOneOf } from '../text/did-you-mean.js';

/** Pure builders for the operator CLI: options in, a schema-valid payload out. */

/**
 * Bad input for a draft, naming the message member it is about (`window.notAfter`,
 * `change.features.enable`): the CLI says it in its option names (`--not-after`), never in these.
 */
export class DraftError extends TrustError {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super('bad-payload', detail);
    this.name = 'DraftError';
  }
}

function bad(field: string, detail: string): never {
  throw new DraftError(field, detail);
}

export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/** "90s", "5m", "1h30m", "1d" or plain seconds: the one duration grammar (src/routeros/duration.ts), whole seconds. */
export function parseDurationSeconds(text: string, field = 'activationTimeoutSeconds'): number {
  const ms = parseRosDuration(text);
  if (ms === undefined || ms % 1000 !== 0)
    bad(field, `"${text}" is not a duration in whole seconds (like 90s, 5m, 1h30m, 1d)`);
  return ms / 1000;
}

/** An absolute ISO time, or "+30m" relative to now. */
export function parseTime(text: string, now: number, field = 'window'): string {
  const relative = /^\+(.+)$/.exec(text.trim());
  const ms = relative ? now + parseRosDuration(relative[1]!)! : Date.parse(text);
  if (Number.isNaN(ms)) bad(field, `"${text}" is not a time (ISO 8601 like 2026-05-01T22:00:00Z, or +30m)`);
  return new Date(ms).toISOString();
}

export interface ChangeOptions {
  enable?: string[];
  disable?: string[];
  mode?: string;
  flaggedNo?: boolean;
}

function asFeature(name: string, field: string): DeviceModeFeature {
  if (!(DEVICE_MODE_FEATURES as readonly string[]).includes(name)) {
    bad(field, notOneOf(name, 'a device-mode feature', DEVICE_MODE_FEATURES));
  }
  return name as DeviceModeFeature;
}

/** "mode=rose,container=yes,socks=no,flagged=no" (the form `describeChange` prints). */
export function parseChangeSpec(spec: string): ChangeOptions {
  const options: Required<Omit<ChangeOptions, 'mode'>> & { mode?: string } = {
    enable: [],
    disable: [],
    flaggedNo: false,
  };
  for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
    const [key, value] = part.split('=', 2);
    const on = value === 'yes' || value === 'true';
    if (!key || (!on && value !== 'no' && value !== 'false' && key !== 'mode'))
      bad('change', `"${part}" is not feature=yes|no, mode=M or flagged=no`);
    if (key === 'mode') options.mode = value;
    else if (key === 'flagged') {
      if (on) bad('change', 'flagged can only be set to no');
      options.flaggedNo = true;
    } else (on ? options.enable : options.disable).push(key);
  }
  return options;
}

export function buildChange(options: ChangeOptions): DeviceModeChange {
  const features: Partial<Record<DeviceModeFeature, boolean>> = {};
  for (const f of options.enable ?? []) features[asFeature(f, 'change.features.enable')] = true;
  for (const f of options.disable ?? []) {
    if (features[asFeature(f, 'change.features.disable')] === true)
      bad('change.features', `feature ${f} is both enabled and disabled`);
    features[asFeature(f, 'change.features.disable')] = false;
  }
  const change: DeviceModeChange = {};
  if (options.mode !== undefined) {
    if (!(DEVICE_MODES as readonly string[]).includes(options.mode))
      bad('change.mode', notOneOf(options.mode, 'a device-mode', DEVICE_MODES));
    change.mode = options.mode as DeviceMode;
  }
  if (Object.keys(features).length > 0) change.features = features;
  if (options.flaggedNo) change.flagged = false;
  const parsed = deviceModeChangeSchema.safeParse(change);
  if (!parsed.success) bad('change', parsed.error.issues[0]?.message ?? 'invalid change');
  return change;
}

export function routerRef(options: { routerSerial?: string; routerSystemId?: string }): RouterRef {
  if ((options.routerSerial === undefined) === (options.routerSystemId === undefined)) {
    bad('router', 'give the router by exactly one of its serial number or its system id');
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
  /** May act outside the site's maintenance windows (with the site's urgent approver count). */
  urgent?: boolean;
}

/** The reference a request or power cycle carries to a challenge of the same agent and router. */
export function bindChallenge(
  challenge: Challenge,
  agent: string,
  router: RouterRef,
): { challengeId: string; nonce: string } {
  if (
    challenge.agent !== agent ||
    challenge.router.serial !== router.serial ||
    challenge.router.systemId !== router.systemId
  ) {
    refuse(
      'wrong-challenge',
      `challenge ${challenge.challengeId} is for agent ${challenge.agent}, router ${JSON.stringify(challenge.router)}`,
    );
  }
  return { challengeId: challenge.challengeId, nonce: challenge.nonce };
}

function target(options: Omit<CommonOptions, 'requester'>) {
  const notBefore = options.notBefore ? parseTime(options.notBefore, options.now, 'window.notBefore') : undefined;
  const notAfter = options.notAfter ? parseTime(options.notAfter, options.now, 'window.notAfter') : undefined;
  if (notBefore && notAfter && Date.parse(notBefore) >= Date.parse(notAfter)) {
    bad('window', `the window must open (${notBefore}) before it closes (${notAfter})`);
  }
  const window =
    notBefore || notAfter ? { ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) } : undefined;
  return {
    v: 1 as const,
    requestId: options.requestId ?? newRequestId(),
    agent: options.agent,
    router: options.router,
    issuedAt: new Date(options.now).toISOString(),
    ...(window ? { window } : {}),
    ...(options.urgent ? { urgent: true as const } : {}),
  };
}

function common(options: CommonOptions) {
  return { ...target(options), requester: options.requester };
}

function challengeRef(options: CommonOptions) {
  return options.challenge ? { challenge: bindChallenge(options.challenge, options.agent, options.router) } : {};
}

function validated<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  value: unknown,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    bad(issue?.path.map(String).join('.') ?? '', issue?.message ?? 'invalid');
  }
  return parsed.data;
}

export function buildChangeRequest(
  options: CommonOptions & { change: DeviceModeChange; method: 'button' | 'power'; activationTimeoutSeconds: number },
): ChangeRequest {
  const timeout = options.activationTimeoutSeconds;
  if (timeout < ACTIVATION_TIMEOUT_SECONDS.min || timeout > ACTIVATION_TIMEOUT_SECONDS.max) {
    bad('activationTimeoutSeconds', `${timeout}s is not between 10s and 1d (the activation timeouts RouterOS takes)`);
  }
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
  if (!challenge.observed)
    refuse('bad-payload', `challenge ${challenge.challengeId} observed no pending change; nothing to approve`);
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
  options: CommonOptions & {
    reason: 'hung' | 'reset-attempt-count';
    note?: string;
    acceptPending?: { expect?: DeviceModeChange };
  },
): PowerCycle {
  const pending = options.acceptPending;
  return validated(powerCycleSchema, {
    ...common(options),
    kind: 'power-cycle',
    reason: options.reason,
    ...(pending
      ? { acceptPending: pending.expect ? { expect: pending.expect, digest: changeDigest(pending.expect) } : {} }
      : {}),
    ...(options.note ? { note: options.note } : {}),
    ...challengeRef(options),
  });
}

/** A cancel of a scheduled order (by its request id), signed by approvers. */
export function buildCancel(options: Omit<CommonOptions, 'urgent'> & { cancels: string; note?: string }): Cancel {
  return validated(cancelSchema, {
    ...common(options),
    kind: 'cancel',
    cancels: options.cancels,
    ...(options.note ? { note: options.note } : {}),
    ...challengeRef(options),
  });
}

export type { SignedMessage };
