// Fuzzing the agent's MQTT door: random bytes, random JSON and mutated (re-signed and
// unsigned) envelopes on the inbound topics never throw, and every refusal is published
// as one error event that the contract's own schema accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AuditLog } from '../../src/audit/audit-log.js';
import { InboundDispatcher } from '../../src/agent/inbound.js';
import type { Publisher } from '../../src/agent/publisher.js';
import type { RouterSupervisor } from '../../src/agent/router-supervisor.js';
import type { Policy } from '../../src/config/policy-schema.js';
import { OperatorTeam } from '../../src/demo/operators.js';
import { silentLogger } from '../../src/log/logger.js';
import { CONTRACT_VERSION, eventSchema, responseSchema, type AgentEvent } from '../../src/mqtt/contract.js';
import { createWallClock } from '../../src/time/wall-clock.js';
import { TYP } from '../../src/trust/messages.js';
import { TrustGate } from '../../src/trust/trust-gate.js';
import { guardProcess, mutateText, params, slowRuns } from './support.js';

const BASE = 'dmconfirm/v1';
const AGENT = 'pi1';
const SERIAL = 'HF1234567';
/** As src/agent/inbound.ts: how many handled digests the dispatcher keeps. */
const REMEMBERED = 256;
const topic = (kind: string) => `${BASE}/lab/${AGENT}/${kind}`;
const policy: Policy = {
  allowedFeatures: ['container', 'socks'],
  allowedModes: ['rose', 'advanced'],
  allowFlaggedClear: false,
  maxOperationsPerHour: 1000,
  minActionMarginMs: 15_000,
};

guardProcess();

/** What the dispatcher published and started, instead of a broker and a router. */
class Recorder {
  events: AgentEvent[] = [];
  progress: unknown[] = [];
  started = 0;
  readonly publisher = {
    event: (event: Omit<AgentEvent, 'v' | 'at'>) =>
      this.events.push(eventSchema.parse({ v: CONTRACT_VERSION, at: new Date().toISOString(), ...event })),
    progress: (id: string, data: unknown, error?: unknown) =>
      this.progress.push(
        responseSchema.parse({
          v: CONTRACT_VERSION,
          id,
          at: new Date().toISOString(),
          status: error ? 'error' : 'ok',
          data,
          ...(error ? { error } : {}),
        }),
      ),
    lastAnswer: () => undefined,
  } as unknown as Publisher;
  readonly supervisor = {
    name: 'main',
    deliver: (order: { message: { kind: string } }) =>
      order.message.kind === 'approval'
        ? { ok: false, code: 'wrong-challenge', message: 'no challenge is open' }
        : (this.started++, { ok: true }),
  } as unknown as RouterSupervisor;
}

async function setup() {
  const stateDir = mkdtempSync(join(tmpdir(), 'dmconfirm-fuzz-inbound-'));
  const team = new OperatorTeam();
  const gate = new TrustGate({
    stateDir,
    initialTrustRoot: await team.trustRootText(),
    agentId: AGENT,
    clock: createWallClock('assume-synced'),
    policy,
    routers: [{ name: 'main', serial: SERIAL, methods: ['button', 'power'] }],
  });
  await gate.start();
  const audit = new AuditLog(join(stateDir, 'audit.jsonl'));
  await audit.open();
  const recorder = new Recorder();
  const dispatcher = new InboundDispatcher({
    baseTopic: BASE,
    gate,
    supervisors: new Map([['main', recorder.supervisor]]),
    publisher: recorder.publisher,
    audit,
    logger: silentLogger(),
  });
  return { team, recorder, dispatcher, audit };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Delivers one message; a refusal must add exactly one event with a code and a message. */
async function deliver(s: Setup, kind: string, payload: Buffer, seen: Set<string>): Promise<void> {
  const before = { events: s.recorder.events.length, started: s.recorder.started };
  await s.dispatcher.handle({ topic: topic(kind), payload, retain: false, duplicate: false });
  const key = payload.toString('base64');
  const duplicate = seen.has(key);
  if (!duplicate) {
    // The dispatcher remembers the last REMEMBERED digests only; older bytes count as new.
    seen.add(key);
    if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!);
  }
  if (duplicate) {
    assert.equal(s.recorder.events.length, before.events, 'a duplicate is not refused again');
    return;
  }
  const accepted = s.recorder.started > before.started;
  assert.equal(s.recorder.events.length - before.events, accepted ? 0 : 1, 'one error event per refusal');
  if (!accepted) {
    const event = s.recorder.events.at(-1)!;
    assert.ok(event.code.length > 0 && event.message.startsWith(`refused ${kind}`), JSON.stringify(event));
  }
}

const kinds = fc.constantFrom('request', 'approval', 'powercycle');
const jsonBytes = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)));
const envelopeLike = fc
  .record(
    {
      payload: fc.oneof(fc.string(), fc.base64String(), fc.jsonValue()),
      signatures: fc.oneof(
        fc.array(
          fc.dictionary(fc.constantFrom('protected', 'signature', 'header'), fc.oneof(fc.string(), fc.jsonValue())),
        ),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  )
  .map((v) => Buffer.from(JSON.stringify(v)));

void test('fuzz inbound: random bytes, JSON and envelope-shaped JSON are each refused with one event', async () => {
  const s = await setup();
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(
      kinds,
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
        jsonBytes,
        envelopeLike,
      ),
      (kind, payload) => deliver(s, kind, payload, seen),
    ),
    params(200),
  );
  await s.audit.close();
});

void test('fuzz inbound: character edits of a valid signed request are refused, never thrown', async () => {
  const s = await setup();
  const seen = new Set<string>();
  const good = await s.team.changeRequest({
    agent: AGENT,
    router: { serial: SERIAL },
    change: { enable: ['container'] },
    method: 'power',
  });
  await deliver(s, 'request', Buffer.from(good), seen);
  assert.equal(s.recorder.started, 1, 'control: the unedited request is accepted');
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.string({ maxLength: 4 }), fc.nat({ max: 4 }), async (position, insert, drop) => {
      const edited = mutateText(good, position, insert, drop);
      if (edited === good) return;
      await deliver(s, 'request', Buffer.from(edited), seen);
    }),
    params(200),
  );
  assert.equal(s.recorder.started, 1, 'no edit of the signed bytes is acted on');
  await s.audit.close();
});

/** Payload fields replaced by random JSON, then properly signed: verification proper must refuse or accept. */
void test('fuzz inbound: validly signed requests with random field values never throw', async () => {
  const s = await setup();
  const seen = new Set<string>();
  const good = JSON.parse(
    await s.team.changeRequest({
      agent: AGENT,
      router: { serial: SERIAL },
      change: { enable: ['container'] },
      method: 'power',
    }),
  ) as { payload: string };
  const payload = JSON.parse(Buffer.from(good.payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const fields = fc.constantFrom(...Object.keys(payload), 'extra', '__proto__');
  const signers = [s.team.requester, s.team.approvers[0]!, s.team.approvers[1]!];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fields, fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined))), {
        minLength: 1,
        maxLength: 3,
      }),
      fc.constantFrom(TYP.request, TYP.powerCycle, TYP.approval, 'x'),
      async (edits, typ) => {
        const edited: Record<string, unknown> = { ...payload };
        for (const [field, value] of edits)
          Object.defineProperty(edited, field, { value, enumerable: true, writable: true, configurable: true });
        const signed = await s.team.sign(edited, typ, signers);
        await deliver(s, typ === TYP.powerCycle ? 'powercycle' : 'request', Buffer.from(signed), seen);
      },
    ),
    params(slowRuns(60)),
  );
  await s.audit.close();
});

void test('fuzz inbound: foreign topics are ignored without a word; retained orders are refused as such', async () => {
  const s = await setup();
  await fc.assert(
    fc.asyncProperty(fc.string(), fc.boolean(), fc.uint8Array({ maxLength: 64 }), async (suffix, retain, bytes) => {
      const before = s.recorder.events.length;
      const name = retain ? topic('request') : `${BASE}/${suffix}`;
      await s.dispatcher.handle({ topic: name, payload: Buffer.from(bytes), retain, duplicate: false });
      if (retain) {
        const added = s.recorder.events.slice(before);
        assert.deepEqual(
          added.map((e) => [e.type, e.code]),
          [['security', 'retained-order']],
        );
      } else if (!/^[^/]+\/[^/]+\/(request|approval|powercycle)$/.test(suffix))
        assert.equal(s.recorder.events.length, before);
    }),
    params(200),
  );
  await s.audit.close();
});
