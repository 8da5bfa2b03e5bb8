// Wall-clock jumps (NTP stepping, a Pi without RTC, an admin's `date`) against the replay
// memory, the challenge nonces, the rate limit and the deadlines: nothing a jump does may
// let an old message in again, refill or freeze a budget, or move a deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTimeLeft } from '../../src/agent/decisions.js';
import { deadlineIn, monotonicRemainingMs } from '../../src/time/deadline.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { buildApproval } from '../../src/trust/drafts.js';
import { TYP, type Challenge } from '../../src/trust/messages.js';
import { manualMonotonic } from '../../src/time/monotonic.js';
import { NonceStore } from '../../src/trust/nonce-store.js';
import { RateLimiter } from '../../src/trust/rate-limit.js';
import { ReplayStore } from '../../src/trust/replay-store.js';
import { verifyApproval, verifyChangeRequest } from '../../src/trust/verify.js';
import {
  AGENT,
  NOW,
  SERIAL,
  context,
  keys,
  policy,
  refused,
  requestPayload,
  sign,
  tempDir,
  text,
  trustRootV1,
} from './fixtures.js';

const DAY = 86_400_000;
const HOUR = 3600_000;

/** A change request signed by alice and bob, issued at `issuedAt`. */
async function request(issuedAt: number, requestId: string): Promise<string> {
  return text(
    await sign(requestPayload({ issuedAt: new Date(issuedAt).toISOString(), requestId }), TYP.request, [
      keys.alice,
      keys.bob,
    ]),
  );
}

void test('a forward jump expiring the replay memory, then back: the old request is still a replay', async (t) => {
  const path = join(tempDir(t), 'replay.json');
  const root = await trustRootV1();
  const monotonic = manualMonotonic(5_000);
  const clock = fixedClock(NOW, true);
  const store = new ReplayStore(path, { monotonic });
  await store.load();
  const old = await request(NOW - 60_000, 'req-before-the-jump');
  assert.equal((await verifyChangeRequest(old, context(root, { replayStore: store, clock }))).ok, true);

  // A wrong NTP server (or `date -s`) steps the synced clock 40 days ahead, 10 s later.
  // An operator tool on the same wrong time signs a request; accepting it runs the expiry.
  monotonic.advance(10_000);
  clock.set(NOW + 40 * DAY);
  const during = await request(NOW + 40 * DAY - 1000, 'req-during-the-jump');
  assert.equal((await verifyChangeRequest(during, context(root, { replayStore: store, clock }))).ok, true);
  assert.equal(store.has('req-before-the-jump'), true, 'wall time alone forgets nothing');

  // NTP corrects the clock back a minute after the first request: it is fresh again by wall time.
  clock.set(NOW + 60_000);
  refused(await verifyChangeRequest(old, context(root, { replayStore: store, clock })), 'replayed');
  // Also after a restart, and after a reboot (another monotonic timeline) during the jump.
  for (const restarted of [
    new ReplayStore(path, { monotonic }),
    new ReplayStore(path, { monotonic: manualMonotonic(0, 'next-boot') }),
  ]) {
    await restarted.load();
    refused(await verifyChangeRequest(old, context(root, { replayStore: restarted, clock })), 'replayed');
  }
});

void test('replay ids expire only when wall time and monotonic time both say so, with a synced clock', async () => {
  const monotonic = manualMonotonic();
  const store = new ReplayStore(undefined, { retentionMs: 30 * DAY, monotonic });
  await store.remember('a', NOW, true);
  monotonic.advance(31 * DAY);
  await store.remember('b', NOW + 2 * DAY, true); // the clock went back: wall says only 2 days
  assert.equal(store.has('a'), true, 'monotonic alone forgets nothing');
  await store.remember('c', NOW + 31 * DAY, false);
  assert.equal(store.has('a'), true, 'an unsynchronized clock forgets nothing');
  await store.remember('d', NOW + 31 * DAY, true);
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((id) => store.has(id)),
    [false, true, true, true],
    'both agree: forgotten',
  );
});

void test('the replay memory across reboots: downtime counts as none, ids kept longer, not shorter', async (t) => {
  const path = join(tempDir(t), 'replay.json');
  const first = new ReplayStore(path, { retentionMs: 30 * DAY, monotonic: manualMonotonic(1000 * DAY, 'boot-1') });
  await first.remember('a', NOW, true);
  // Next boot, 40 days later by the wall clock (or a clock stepped 40 days ahead): monotonic starts again near 0.
  const bootTwo = manualMonotonic(10_000, 'boot-2');
  const second = new ReplayStore(path, { retentionMs: 30 * DAY, monotonic: bootTwo });
  await second.load();
  await second.remember('b', NOW + 40 * DAY, true);
  assert.equal(second.has('a'), true, 'a wall-time gap across a reboot is not evidence');
  bootTwo.advance(31 * DAY);
  await second.remember('c', NOW + 60 * DAY, true);
  assert.equal(second.has('a'), false, 'after the retention in uptime, with the wall agreeing');
  assert.equal(second.has('b'), true);
});

void test('a replay file written before monotonic stamps (v1) keeps every id, aged from the load', async (t) => {
  const path = join(tempDir(t), 'replay.json');
  writeFileSync(path, JSON.stringify({ seen: { old: NOW - 29 * DAY, older: NOW - 40 * DAY } }));
  const monotonic = manualMonotonic(123, 'boot-x');
  const store = new ReplayStore(path, { retentionMs: 30 * DAY, monotonic });
  await store.load();
  await store.remember('new', NOW, true);
  assert.deepEqual(
    ['old', 'older', 'new'].map((id) => store.has(id)),
    [true, true, true],
  );
  const written = JSON.parse(readFileSync(path, 'utf8')) as {
    v: number;
    boot: string;
    seen: Record<string, { at: number; mono: number }>;
  };
  assert.equal(written.v, 2);
  assert.equal(written.boot, 'boot-x');
  assert.deepEqual(written.seen.older, { at: NOW - 40 * DAY, mono: 123 });
});

void test('a rate limit survives clock jumps: forward does not refill the budget, backward no freeze', async (t) => {
  const path = join(tempDir(t), 'rate.json');
  const root = await trustRootV1();
  const tight = { ...policy, maxOperationsPerHour: 2 };
  const monotonic = manualMonotonic(50_000);
  const limiter = new RateLimiter(path, { monotonic });
  const at = (wall: number) => context(root, { rateLimiter: limiter, policy: tight, clock: fixedClock(wall, true) });
  let n = 0;
  const next = async (wall: number) => verifyChangeRequest(await request(wall - 1000, `rate-req-${n++}`), at(wall));
  assert.equal((await next(NOW)).ok, true);
  assert.equal((await next(NOW)).ok, true);
  refused(await next(NOW), 'rate-limited');
  // Forward 2 hours by the wall clock, one real minute later: still the same hour.
  monotonic.advance(60_000);
  refused(await next(NOW + 2 * HOUR), 'rate-limited', /next in 59 min/);
  // Back a year (a Pi without RTC): the budget returns an hour after the operations, not a year later.
  const yearAgo = NOW - 365 * DAY;
  refused(await next(yearAgo), 'rate-limited', /next in 59 min/);
  assert.equal(limiter.waitMs('core', 2, yearAgo), HOUR - 60_000);
  monotonic.advance(HOUR - 60_000);
  assert.equal(limiter.waitMs('core', 2, yearAgo), 0);
  assert.equal((await next(yearAgo + HOUR)).ok, true, 'back an hour later, whatever the wall clock says');
});

void test('rate limit across a reboot: downtime counts as none (an hour more at most); restarts exact', async (t) => {
  const path = join(tempDir(t), 'rate.json');
  const bootOne = manualMonotonic(7 * DAY, 'boot-1');
  const first = new RateLimiter(path, { monotonic: bootOne });
  assert.equal(await first.take('core', 1, NOW), true);
  bootOne.advance(20 * 60_000);
  const restarted = new RateLimiter(path, { monotonic: bootOne });
  await restarted.load();
  assert.equal(restarted.waitMs('core', 1, NOW), 40 * 60_000, 'same boot: monotonic stamps compare directly');
  // The host reboots; the wall clock went back (no RTC) or jumped ahead: neither matters.
  const bootTwo = manualMonotonic(3000, 'boot-2');
  const rebooted = new RateLimiter(path, { monotonic: bootTwo });
  await rebooted.load();
  assert.equal(
    rebooted.waitMs('core', 1, 0),
    HOUR,
    'the time since the last save and the downtime are unknown: one more hour at most',
  );
  assert.equal(await rebooted.take('core', 1, NOW + 365 * DAY), false);
  bootTwo.advance(HOUR);
  assert.equal(await rebooted.take('core', 1, 0), true);
});

void test('a v1 rate file (wall times only) counts its entries for one more hour from the load', async (t) => {
  const path = join(tempDir(t), 'rate.json');
  writeFileSync(path, JSON.stringify({ routers: { core: [NOW + 365 * DAY] } }));
  const monotonic = manualMonotonic(0, 'boot-v1');
  const limiter = new RateLimiter(path, { monotonic });
  await limiter.load();
  assert.equal(limiter.waitMs('core', 1, NOW), HOUR, 'a year "in the future" waits one hour, not a year');
  monotonic.advance(HOUR);
  assert.equal(limiter.waitMs('core', 1, NOW), 0);
});

function challengeFor(nonce: string, at: number): Challenge {
  return {
    v: 1,
    kind: 'challenge',
    challengeId: 'chal-jump',
    nonce,
    agent: AGENT,
    router: { serial: SERIAL },
    observed: { attemptCount: 1, at: new Date(at).toISOString() },
    issuedAt: new Date(at).toISOString(),
  };
}

void test('an approval during a clock jump either way is refused (fail closed), nonce unused; then once', async () => {
  const root = await trustRootV1();
  const nonceStore = new NonceStore();
  const challenge = challengeFor(await nonceStore.issue('chal-jump', NOW), NOW);
  const approval = text(
    await sign(
      buildApproval(challenge, { now: NOW + 5000, expect: { features: { container: true } }, method: 'button' }),
      TYP.approval,
      [keys.bob, keys.carol],
    ),
  );
  const clock = fixedClock(NOW + 25 * HOUR, true);
  const ctx = context(root, { nonceStore, clock });
  refused(await verifyApproval(approval, challenge, ctx), 'expired');
  clock.set(NOW - HOUR);
  refused(await verifyApproval(approval, challenge, ctx), 'issued-in-future');
  assert.equal(nonceStore.isCurrent('chal-jump', challenge.nonce), true, 'refusals leave the challenge open');
  clock.set(NOW + 10_000);
  assert.equal((await verifyApproval(approval, challenge, ctx)).ok, true);
  refused(await verifyApproval(approval, challenge, ctx), 'replayed');
  // The nonce is gone whatever the clock says afterwards: it has no wall-time expiry to undo.
  for (const wall of [NOW - 365 * DAY, NOW + 365 * DAY]) {
    clock.set(wall);
    assert.equal(nonceStore.isCurrent('chal-jump', challenge.nonce), false);
  }
});

void test('a challenge nonce has no wall-time expiry: issued in 1970, NTP steps to today, still the one', async (t) => {
  const path = join(tempDir(t), 'nonces.json');
  const root = await trustRootV1();
  const store = new NonceStore(path);
  const challenge = challengeFor(await store.issue('chal-jump', 86_400_000), 86_400_000);
  const restarted = new NonceStore(path);
  await restarted.load();
  const approval = text(
    await sign(
      buildApproval(challenge, { now: NOW - 1000, expect: { features: { container: true } }, method: 'button' }),
      TYP.approval,
      [keys.bob, keys.carol],
    ),
  );
  assert.equal(
    (await verifyApproval(approval, challenge, context(root, { nonceStore: restarted, clock: fixedClock(NOW, true) })))
      .ok,
    true,
  );
  assert.equal(restarted.isCurrent('chal-jump', challenge.nonce), false);
});

void test('activation deadlines follow monotonic time: a wall-clock jump neither stretches nor shrinks them', () => {
  const deadline = deadlineIn(120_000, new Date(NOW), 'boot-1', 1_000_000);
  // However the wall clock moved meanwhile, 100 s of monotonic time leaves 20 s.
  assert.equal(monotonicRemainingMs(deadline, 'boot-1', 1_100_000), 20_000);
  assert.equal(
    monotonicRemainingMs(deadline, 'boot-2', 1_100_000),
    undefined,
    'another boot: unknown, never guessed from wall time',
  );
  assert.equal(checkTimeLeft(1_100_000, deadline.monotonicMs!, 300, 15_000).ok, true);
  assert.equal(
    checkTimeLeft(1_110_000, deadline.monotonicMs!, 300, 15_000).ok,
    false,
    'too late by monotonic time: nothing is pressed',
  );
});
