// Issue 12: the rollout coordinator releases waves in order, stops at the abort criteria or an
// operator's abort, times out silent targets and resumes from its journal after a restart.
// The fleet is in-process: each order is verified by the real agent-side verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log/logger.js';
import { agentTopics, messageDigest } from '../../src/mqtt/contract.js';
import { Coordinator } from '../../src/rollout/coordinator.js';
import type { FleetTarget } from '../../src/rollout/inventory.js';
import { writeControl } from '../../src/rollout/journal.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { buildCampaign, TargetTree } from '../../src/trust/campaign/build.js';
import type { AbortCriteria, Wave } from '../../src/trust/campaign/schema.js';
import { payloadDigest } from '../../src/trust/campaign/schema.js';
import { verifyCampaignOrder } from '../../src/trust/campaign/verify.js';
import { TYP } from '../../src/trust/messages.js';
import { ReplayStore } from '../../src/trust/replay-store.js';
import { context, keys, NOW, signExactly, tempDir, trustRootV1 } from '../trust/fixtures.js';

const BASE = 'dmconfirm/v1';
const fleet = (n: number): FleetTarget[] =>
  Array.from({ length: n }, (_, i) => ({ site: `s${i % 3}`, agent: `agent-${i}`, router: { serial: `SER${i}` } }));

async function setup(
  t: { after(fn: () => void): void },
  n: number,
  waves: Wave[],
  abort: AbortCriteria,
  dir = tempDir(t),
) {
  const targets = fleet(n);
  const tree = new TargetTree(targets.map(({ agent, router }) => ({ agent, router })));
  const campaign = buildCampaign({
    campaignId: 'coord-test-1',
    requester: { name: 'noc' },
    coordinator: { name: 'noc' },
    now: NOW - 60_000,
    window: { notAfter: new Date(NOW + 86_400_000).toISOString() },
    change: { features: { container: true } },
    method: 'power',
    activationTimeoutSeconds: 300,
    tree,
    waves,
    abort,
  });
  const campaignEnvelope = await signExactly(campaign, TYP.campaign, [keys.noc, keys.alice, keys.bob]);
  const digest = payloadDigest(Buffer.from(campaignEnvelope.payload, 'base64url'));
  const root = await trustRootV1();
  const clock = { now: NOW };
  const sent: Array<{ topic: string; payload: string }> = [];
  const replay = new ReplayStore();
  const open = () =>
    Coordinator.open({
      dir,
      base: BASE,
      campaignEnvelope,
      campaign,
      digest,
      targets,
      tree,
      key: keys.noc,
      publish: (topic, payload) => Promise.resolve(void sent.push({ topic, payload })),
      now: () => clock.now,
      targetTimeoutMs: 600_000,
      releaseValidityMs: 300_000,
      logger: silentLogger(),
    });
  /** Each agent verifies its order for real; the answer is the verdict's request id and a final state. */
  const verify = async (order: { topic: string; payload: string }) => {
    const agent = order.topic.split('/')[3]!;
    const target = targets.find((x) => x.agent === agent)!;
    const ctx = context(root, {
      agentId: agent,
      router: { name: 'r', serial: target.router.serial, methods: ['power'] },
      replayStore: replay,
      clock: fixedClock(clock.now, true),
    });
    return { target, verdict: await verifyCampaignOrder(order.payload, ctx), digest: messageDigest(order.payload) };
  };
  const answer = (
    c: Coordinator,
    target: FleetTarget,
    requestId: string,
    state: 'done' | 'failed',
    code?: string,
    inReplyTo?: string,
  ) => {
    const topic = agentTopics(BASE, target.site, target.agent).progress(requestId);
    const body = {
      v: 1,
      id: requestId,
      at: new Date(clock.now).toISOString(),
      status: state === 'done' ? 'ok' : 'error',
      data: { state, final: true, ...(inReplyTo ? { inReplyTo } : {}) },
      ...(code ? { error: { code, message: code } } : {}),
    };
    c.onMessage(topic, Buffer.from(JSON.stringify(body)));
  };
  return { targets, sent, open, verify, answer, clock, dir };
}

void test('waves are released in order; a failing wave meets the criterion, nothing after it goes', async (t) => {
  const s = await setup(t, 10, [{ count: 2, pauseSeconds: 30 }, { count: 3 }, { percent: 100 }], {
    minExecuted: 3,
    maxFailures: 2,
  });
  const c = await s.open();
  await c.tick();
  assert.equal(s.sent.length, 2, 'wave 0 only');
  await c.tick();
  assert.equal(s.sent.length, 2, 'the next wave waits for this one');
  for (const order of s.sent.splice(0)) {
    const { target, verdict, digest } = await s.verify(order);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    if (!verdict.ok) continue;
    // Unsigned answers that quote none of our orders (a forgery reusing the id) change nothing.
    s.answer(c, target, verdict.message.requestId, 'failed', 'not-confirmed');
    s.answer(c, target, verdict.message.requestId, 'failed', 'not-confirmed', 'forged-digest');
    s.answer(c, target, verdict.message.requestId, 'done', undefined, digest);
  }
  // Nor does an answer for a target never released.
  const queued = c.journal.targets[9]!;
  s.answer(c, s.targets[9]!, queued.requestId, 'failed', 'not-confirmed');
  assert.equal(queued.state, 'queued');
  await c.tick();
  assert.equal(s.sent.length, 0, 'wave 1 waits for its 30 s pause');
  s.clock.now += 31_000;
  await c.tick();
  assert.equal(s.sent.length, 3);
  for (const [i, order] of s.sent.splice(0).entries()) {
    const { target, verdict, digest } = await s.verify(order);
    assert.equal(verdict.ok, true);
    if (verdict.ok)
      s.answer(
        c,
        target,
        verdict.message.requestId,
        i < 2 ? 'failed' : 'done',
        i === 0 ? 'not-confirmed' : i === 1 ? 'policy-feature' : undefined,
        digest,
      );
  }
  s.clock.now += 3600_000;
  await c.tick();
  await c.tick();
  assert.equal(s.sent.length, 0, 'no target of wave 2 ever gets an order');
  const j = c.journal;
  assert.equal(j.aborted?.by, 'criterion');
  assert.match(j.aborted?.why ?? '', /2 of 5 executed failed: reached 2 failures/);
  assert.deepEqual(
    j.targets.map((x) => x.state),
    ['succeeded', 'succeeded', 'failed', 'refused', 'succeeded', ...Array<string>(5).fill('cancelled')],
  );
  assert.ok(c.finished);
});

void test('an operator abort stops further releases at once; pause holds them, resume lets them go', async (t) => {
  const s = await setup(t, 6, [{ count: 2 }, { count: 2 }, { percent: 100 }], {
    minExecuted: 1,
    maxFailurePercent: 50,
  });
  const c = await s.open();
  await writeControl(s.dir, 'pause', NOW);
  await c.tick();
  assert.equal(s.sent.length, 0, 'paused before the first wave');
  await writeControl(s.dir, 'resume', NOW);
  await c.tick();
  assert.equal(s.sent.length, 2);
  for (const order of s.sent.splice(0)) {
    const { target, verdict, digest } = await s.verify(order);
    if (verdict.ok) s.answer(c, target, verdict.message.requestId, 'done', undefined, digest);
  }
  await writeControl(s.dir, 'abort', NOW, 'wrong firmware on site 2');
  await writeControl(s.dir, 'resume', NOW);
  await c.tick();
  await c.tick();
  assert.equal(s.sent.length, 0);
  assert.equal(c.journal.aborted?.by, 'operator');
  assert.deepEqual(
    c.journal.targets.map((x) => x.state),
    ['succeeded', 'succeeded', 'cancelled', 'cancelled', 'cancelled', 'cancelled'],
  );
});

void test('a restart resumes from the journal: released targets followed (and resent), none twice', async (t) => {
  const s = await setup(t, 4, [{ count: 2 }, { percent: 100 }], { minExecuted: 1, maxFailures: 1 });
  const first = await s.open();
  await first.tick();
  const wave0 = s.sent.splice(0);
  assert.equal(wave0.length, 2);
  // The coordinator dies here; target 0 answered meanwhile (seen only in its retained state).
  const second = await s.open();
  assert.equal(second.journal.nextWave, 1);
  await second.tick();
  assert.equal(s.sent.length, 0, 'wave 1 is not released while wave 0 is in flight');
  assert.equal(await second.resend(), 2);
  const resent = s.sent.splice(0);
  assert.deepEqual(
    resent.map((o) => o.topic),
    wave0.map((o) => o.topic),
  );
  const { target, verdict } = await s.verify(wave0[0]!);
  assert.equal(verdict.ok, true);
  // The resent order of the same target is refused as a replay: it does not act twice, and the coordinator waits on.
  const again = await s.verify(resent[0]!);
  assert.equal(again.verdict.ok, false);
  if (!verdict.ok) return;
  s.answer(second, target, verdict.message.requestId, 'failed', 'replayed', again.digest);
  assert.equal(second.journal.targets[0]!.state, 'released');
  const state = {
    v: 1,
    router: 'r',
    at: new Date(NOW).toISOString(),
    reachable: true,
    deviceMode: null,
    attemptCount: 0,
    flagged: false,
    operation: null,
    lastResult: {
      operationId: 'op-1',
      requestId: verdict.message.requestId,
      state: 'done',
      at: new Date(NOW).toISOString(),
    },
  };
  second.onMessage(agentTopics(BASE, target.site, target.agent).routerState('r'), Buffer.from(JSON.stringify(state)));
  assert.equal(second.journal.targets[0]!.state, 'succeeded');
  // The order digests survive the restart in the journal: an answer quoting none of them still changes nothing.
  s.answer(second, s.targets[1]!, second.journal.targets[1]!.requestId, 'done');
  assert.equal(second.journal.targets[1]!.state, 'released');
  // Target 1 never answers: timed out, which meets maxFailures 1.
  s.clock.now += 601_000;
  await second.tick();
  assert.equal(second.journal.targets[1]!.state, 'timed-out');
  assert.equal(second.journal.aborted?.by, 'criterion');
  assert.equal(s.sent.length, 0);
});
