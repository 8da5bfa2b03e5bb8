// The approval desk: how a verified approval reaches the observed flow waiting on its
// challenge. Recorded as used (commit) only when the flow takes it, and the flow is told
// when that record is durable; refused with nothing used otherwise; the window closes on
// the clock, after which nothing is taken.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApprovalDesk } from '../../src/agent/approval-desk.js';
import { StateWriteError } from '../../src/store/state-error.js';
import type { Challenge } from '../../src/trust/messages.js';
import { TrustError } from '../../src/trust/refusal.js';
import { approvalOf, challengeFor } from './fake-approvals.js';
import { FakeClock } from './fakes.js';

const observed = { attemptCount: 1, at: '2026-01-01T00:00:00.000Z' };

function desk() {
  const clock = new FakeClock(false);
  const closed: string[] = [];
  let n = 0;
  const trust = {
    openApprovalChallenge: (seen: Challenge['observed']) => Promise.resolve(challengeFor(seen, `chal-${++n}`)),
    close: (id: string) => {
      closed.push(id);
      return Promise.resolve();
    },
  };
  return { desk: new ApprovalDesk('r1', trust, clock), clock, closed };
}

const never = new AbortController().signal;

void test('approval desk: with no flow waiting an approval is refused wrong-challenge, nothing recorded', async () => {
  const { desk: d } = desk();
  const commits: string[] = [];
  const verdict = await d.deliver(approvalOf(challengeFor(observed), { commits }), 'd1');
  assert.equal(verdict.ok ? 'taken' : verdict.code, 'wrong-challenge');
  assert.deepEqual(commits, []);
});

void test("approval desk: takes its challenge's approval once; another challenge or a second is refused", async () => {
  const { desk: d, closed } = desk();
  const challenge = await d.open(observed);
  const waiting = d.next(60_000, never);
  const commits: string[] = [];
  const other = await d.deliver(approvalOf(challengeFor(observed, 'chal-other'), { commits }), 'd0');
  assert.equal(other.ok ? 'taken' : other.code, 'wrong-challenge');
  assert.deepEqual(await d.deliver(approvalOf(challenge, { commits }), 'd1'), { ok: true });
  const taken = await waiting;
  assert.equal(taken?.digest, 'd1');
  assert.equal(await taken.recorded, true);
  assert.deepEqual(commits, [`approval-${challenge.challengeId}`]);
  const second = await d.deliver(approvalOf(challenge, { commits }), 'd2');
  assert.equal(second.ok ? 'taken' : second.code, 'wrong-challenge');
  assert.equal(commits.length, 1);
  await d.close();
  assert.deepEqual(closed, [challenge.challengeId]);
});

void test('approval desk: the window closes on the clock; a later approval is refused, nothing recorded', async () => {
  const { desk: d, clock } = desk();
  const challenge = await d.open(observed);
  let result: unknown = 'waiting';
  const waiting = d.next(1000, never).then((r) => (result = r));
  clock.advance(999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(result, 'waiting');
  clock.advance(1);
  await waiting;
  assert.equal(result, undefined);
  const commits: string[] = [];
  const late = await d.deliver(approvalOf(challenge, { commits }), 'd1');
  assert.equal(late.ok ? 'taken' : late.code, 'wrong-challenge');
  assert.deepEqual(commits, []);
});

void test('approval desk: the agent stopping ends the wait with nothing taken', async () => {
  const { desk: d } = desk();
  await d.open(observed);
  const stop = new AbortController();
  const waiting = d.next(60_000, stop.signal);
  stop.abort();
  assert.equal(await waiting, undefined);
});

void test('approval desk: a refused record passes its reason on; the challenge then takes the next one', async () => {
  const { desk: d } = desk();
  const challenge = await d.open(observed);
  const first = d.next(60_000, never);
  const replayed = approvalOf(challenge, { commit: () => Promise.reject(new TrustError('replayed', 'seen before')) });
  const verdict = await d.deliver(replayed, 'd1');
  assert.equal(verdict.ok ? 'taken' : verdict.code, 'replayed');
  assert.equal((await first)?.digest, 'd1');
  assert.equal(await (await first)?.recorded, false, 'the flow must not act on it');
  // A state directory that fails is not a refusal: it propagates (inbound answers state-unwritable).
  const second = d.next(60_000, never);
  const unwritable = approvalOf(challenge, {
    commit: () => Promise.reject(new StateWriteError('/state/nonces.json', new Error('EROFS'))),
  });
  await assert.rejects(d.deliver(unwritable, 'd2'), StateWriteError);
  assert.equal(await (await second)?.recorded, false);
  const third = d.next(60_000, never);
  assert.deepEqual(await d.deliver(approvalOf(challenge), 'd3'), { ok: true });
  assert.equal((await third)?.digest, 'd3');
  assert.equal(await (await third)?.recorded, true);
});

void test('approval desk: the flow wakes at once and learns when the record is durable', async () => {
  const { desk: d, clock } = desk();
  const challenge = await d.open(observed);
  const waiting = d.next(1000, never);
  let finish: () => void = () => undefined;
  const slow = approvalOf(challenge, { commit: () => new Promise<void>((resolve) => (finish = resolve)) });
  const delivering = d.deliver(slow, 'd1');
  const taken = await waiting;
  assert.equal(taken?.digest, 'd1', 'taken before the record is written: the flow reads the router meanwhile');
  let recorded: boolean | 'pending' = 'pending';
  void taken.recorded.then((r) => (recorded = r));
  // The window ending now changes nothing: the approval was taken in time.
  clock.advance(1000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(recorded, 'pending');
  const other = await d.deliver(approvalOf(challenge), 'd2');
  assert.equal(other.ok ? 'taken' : other.code, 'wrong-challenge', 'one approval per challenge');
  finish();
  assert.deepEqual(await delivering, { ok: true });
  assert.equal(await taken.recorded, true);
});

void test('approval desk: an approval arriving as the challenge goes out, before the wait, is taken', async () => {
  const { desk: d } = desk();
  const challenge = await d.open(observed);
  assert.deepEqual(await d.deliver(approvalOf(challenge), 'd1'), { ok: true });
  assert.equal((await d.next(60_000, never))?.digest, 'd1');
});
