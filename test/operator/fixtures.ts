// Builders for the operator tests: signed orders, contract-conformant answers and retained state.
import { buildChangeRequest, buildPowerCycle } from '../../src/trust/drafts.js';
import { signPayload } from '../../src/trust/jws.js';
import { generateSigningKey } from '../../src/trust/keys.js';
import { TYP } from '../../src/trust/messages.js';
import type {
  AgentResponse,
  AgentStatus,
  ChallengeMessage,
  ProgressData,
  RouterStateMessage,
} from '../../src/mqtt/contract.js';

export const T0 = Date.parse('2026-05-01T12:00:00Z');
export const alice = generateSigningKey('alice');

export async function signedRequest(
  agent = 'pi1',
  now = T0,
  extra: { notAfter?: string } = {},
): Promise<{ bytes: Buffer; requestId: string }> {
  const payload = buildChangeRequest({
    agent,
    router: { serial: 'HF0001' },
    requester: { name: 'alice', keyId: alice.keyId },
    now,
    ...extra,
    change: { features: { container: true } },
    method: 'power',
    activationTimeoutSeconds: 300,
  });
  const envelope = await signPayload(payload, TYP.request, alice);
  return { bytes: Buffer.from(JSON.stringify(envelope)), requestId: payload.requestId };
}

export async function signedPowerCycle(agent = 'pi1'): Promise<{ bytes: Buffer; requestId: string }> {
  const payload = buildPowerCycle({
    agent,
    router: { serial: 'HF0001' },
    requester: { name: 'alice', keyId: alice.keyId },
    now: T0,
    reason: 'hung',
  });
  const envelope = await signPayload(payload, TYP.powerCycle, alice);
  return { bytes: Buffer.from(JSON.stringify(envelope)), requestId: payload.requestId };
}

export function answer(
  id: string,
  inReplyTo: string | undefined,
  state: ProgressData['state'],
  o: Partial<{ status: 'ok' | 'error'; final: boolean; detail: string; code: string }> = {},
): AgentResponse {
  const status = o.status ?? 'ok';
  // Through unknown: whether or not the contract makes inReplyTo optional, the operator must survive an answer without
  // one.
  const response: unknown = {
    v: 1,
    id,
    at: new Date(T0).toISOString(),
    status,
    data: {
      state,
      router: 'main',
      operationId: 'op-1',
      final: o.final ?? false,
      ...(inReplyTo !== undefined ? { inReplyTo } : {}),
      ...(o.detail ? { detail: o.detail } : {}),
    },
    ...(status === 'error' ? { error: { code: o.code ?? 'refused', message: o.detail ?? 'refused' } } : {}),
  };
  return response as AgentResponse;
}

export function status(
  site: string,
  agent: string,
  state: 'online' | 'offline',
  at: string,
  reason: AgentStatus['reason'] = 'started',
): AgentStatus {
  return { v: 1, state, agent, site, version: '0.1.0', at, reason };
}

export function routerState(router: string, o: Partial<RouterStateMessage> = {}): RouterStateMessage {
  return {
    v: 1,
    router,
    at: '2026-05-01T11:59:00Z',
    reachable: true,
    deviceMode: {
      mode: 'home',
      features: { container: false, scheduler: false },
      flaggingEnabled: true,
      allowedVersions: '',
    },
    attemptCount: 0,
    flagged: false,
    operation: null,
    lastResult: null,
    ...o,
  };
}

export function challenge(router: string, expiresAt?: string): ChallengeMessage {
  return {
    v: 1,
    router,
    operationId: 'op-7',
    challenge: {
      v: 1,
      kind: 'challenge',
      challengeId: 'ch-00000001',
      agent: 'pi2',
      router: { serial: 'HF0002' },
      nonce: 'n'.repeat(22),
      issuedAt: '2026-05-01T11:58:00Z',
      observed: { attemptCount: 1, at: '2026-05-01T11:58:00Z' },
    },
    ...(expiresAt ? { expiresAt } : {}),
    methods: ['button', 'power'],
  };
}
