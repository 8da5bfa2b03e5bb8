// Shared builders for the trust tests: in-memory keys, signed roots and messages, a context.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Policy } from '../../src/config/policy-schema.js';
import type { DeviceModeChange } from '../../src/routeros/device-mode.js';
import type { Refusal } from '../../src/trust/refusal.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { buildChangeRequest } from '../../src/trust/drafts.js';
import { cosignEnvelope, signPayload } from '../../src/trust/jws.js';
import type { Envelope } from '../../src/trust/jws.js';
import { generateSigningKey } from '../../src/trust/keys.js';
import type { SigningKey } from '../../src/trust/keys.js';
import { TYP } from '../../src/trust/messages.js';
import { NonceStore } from '../../src/trust/nonce-store.js';
import { ReplayStore } from '../../src/trust/replay-store.js';
import { SkCounterStore } from '../../src/trust/ssh/sk-counters.js';
import { initRoot } from '../../src/trust/root-edit.js';
import type { RootPayload } from '../../src/trust/trust-root.js';
import { TrustRoot } from '../../src/trust/trust-root.js';
import type { VerifyContext } from '../../src/trust/verify.js';

export const NOW = Date.parse('2026-05-01T12:00:00Z');
export const AGENT = 'site1-pi';
export const SERIAL = 'HF1234567';

export const keys = {
  alice: generateSigningKey('alice'),
  bob: generateSigningKey('bob'),
  carol: generateSigningKey('carol'),
  mallory: generateSigningKey('mallory'),
  /** The requester identity (requester role only) of the fixture root. */
  noc: generateSigningKey('noc'),
};

/**
 * Signs as given, except that a request or power cycle naming requester noc is signed by
 * noc first, as the CLI does (signExactly leaves that out).
 */
export async function sign(payload: unknown, typ: string, signers: SigningKey[]): Promise<Envelope> {
  const byNoc =
    (payload as { requester?: { name?: string } } | null | undefined)?.requester?.name === 'noc' &&
    !signers.includes(keys.noc);
  return signExactly(payload, typ, byNoc ? [keys.noc, ...signers] : signers);
}

export async function signExactly(payload: unknown, typ: string, signers: SigningKey[]): Promise<Envelope> {
  let envelope = await signPayload(payload, typ, signers[0]);
  for (const key of signers.slice(1)) envelope = await cosignEnvelope(envelope, typ, key);
  return envelope;
}

export const text = (value: unknown) => JSON.stringify(value);

/** v1: alice+bob hold root (threshold 2), alice, bob, carol approve (threshold 2), noc requests. */
export function rootPayload(overrides: Partial<RootPayload> = {}): RootPayload {
  return {
    ...initRoot({
      rootKeys: [keys.alice, keys.bob],
      approverKeys: [keys.alice, keys.bob, keys.carol],
      requesterKeys: [keys.noc],
      rootThreshold: 2,
      approverThreshold: 2,
      suggestedRules: true,
    }),
    ...overrides,
  };
}

export async function signedRoot(payload: RootPayload, signers: SigningKey[]): Promise<string> {
  return text(await sign(payload, TYP.root, signers));
}

export async function trustRootV1(): Promise<TrustRoot> {
  return TrustRoot.fromEnvelopeText(await signedRoot(rootPayload(), [keys.alice, keys.bob]));
}

export const policy: Policy = {
  allowedFeatures: ['container', 'socks'],
  allowedModes: ['rose', 'advanced'],
  allowFlaggedClear: false,
  maxOperationsPerHour: 3,
  minActionMarginMs: 15_000,
};

export function requestPayload(
  overrides: Record<string, unknown> = {},
  change: DeviceModeChange = { features: { container: true } },
) {
  return {
    ...buildChangeRequest({
      agent: AGENT,
      router: { serial: SERIAL },
      requester: { name: 'noc' },
      now: NOW - 60_000,
      change,
      method: 'power',
      activationTimeoutSeconds: 300,
    }),
    ...overrides,
  };
}

export function context(trustRoot: TrustRoot, overrides: Partial<VerifyContext> = {}): VerifyContext {
  return {
    trustRoot,
    agentId: AGENT,
    router: { name: 'core', serial: SERIAL, methods: ['power', 'button'] },
    clock: fixedClock(NOW, true),
    policy,
    replayStore: new ReplayStore(),
    skCounters: new SkCounterStore(),
    nonceStore: new NonceStore(),
    ...overrides,
  };
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-trust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Encodes a protected header as a forger would. */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Asserts a refusal with this reason code (and optionally a detail that explains it). */
export function refused(verdict: { ok: boolean }, reason: string, detail?: RegExp): void {
  assert.equal(verdict.ok, false, `expected refusal ${reason}, got acceptance`);
  const refusal = verdict as Refusal;
  assert.equal(refusal.reason, reason, refusal.detail);
  if (detail) assert.match(refusal.detail, detail);
}
