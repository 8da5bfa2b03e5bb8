// Freshness: challenge nonces, replayed ids (also across restarts), windows and the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixedClock } from '../../src/time/wall-clock.js';
import { buildApproval, buildPowerCycle } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import type { Challenge } from '../../src/trust/messages.js';
import { manualMonotonic } from '../../src/time/monotonic.js';
import { NonceStore } from '../../src/trust/nonce-store.js';
import { ReplayStore } from '../../src/trust/replay-store.js';
import { verifyApproval, verifyChangeRequest, verifyPowerCycle } from '../../src/trust/verify.js';
import {
  AGENT,
  NOW,
  SERIAL,
  context,
  keys,
  refused,
  requestPayload,
  sign,
  tempDir,
  text,
  trustRootV1,
} from './fixtures.js';

async function pendingChallenge(nonces: NonceStore, id = 'chal-0001'): Promise<Challenge> {
  const nonce = await nonces.issue(id, NOW);
  return {
    v: 1,
    kind: 'challenge',
    challengeId: id,
    nonce,
    agent: AGENT,
    router: { serial: SERIAL },
    observed: { attemptCount: 1, at: new Date(NOW - 5000).toISOString() },
    issuedAt: new Date(NOW - 5000).toISOString(),
  };
}

function approvalFor(challenge: Challenge, extra: { notAfter?: string } = {}) {
  return buildApproval(challenge, {
    now: NOW - 1000,
    expect: { features: { container: true } },
    method: 'button',
    ...extra,
  });
}

void test('an approval bound to the current nonce is accepted once; the nonce is gone afterwards', async () => {
  const nonceStore = new NonceStore();
  const challenge = await pendingChallenge(nonceStore);
  const ctx = context(await trustRootV1(), { nonceStore });
  const message = text(await sign(approvalFor(challenge), TYP.approval, [keys.bob, keys.carol]));
  const first = await verifyApproval(message, challenge, ctx);
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.equal(nonceStore.isCurrent(challenge.challengeId, challenge.nonce), false);
  // Reused nonce: a second, differently-identified approval for the same challenge.
  const again = text(await sign(approvalFor(challenge), TYP.approval, [keys.bob, keys.carol]));
  refused(await verifyApproval(again, challenge, ctx), 'nonce-stale', /already used/);
});

void test('a stale nonce (superseded by a newer challenge) is refused', async () => {
  const nonceStore = new NonceStore();
  const old = await pendingChallenge(nonceStore);
  const current = await pendingChallenge(nonceStore);
  const ctx = context(await trustRootV1(), { nonceStore });
  const message = text(await sign(approvalFor(old), TYP.approval, [keys.bob, keys.carol]));
  refused(await verifyApproval(message, current, ctx), 'nonce-stale');
  refused(await verifyApproval(message, old, ctx), 'nonce-stale', /superseded/);
});

void test('an approval quoting another observation is refused', async () => {
  const nonceStore = new NonceStore();
  const challenge = await pendingChallenge(nonceStore);
  const message = text(await sign(approvalFor(challenge), TYP.approval, [keys.bob, keys.carol]));
  const observedMore = { ...challenge, observed: { attemptCount: 2, at: challenge.observed!.at } };
  refused(await verifyApproval(message, observedMore, context(await trustRootV1(), { nonceStore })), 'wrong-challenge');
});

void test('a challenge-bound approval needs no wall time: accepted with an unsynced clock', async () => {
  const nonceStore = new NonceStore();
  const challenge = await pendingChallenge(nonceStore);
  const ctx = context(await trustRootV1(), { nonceStore, clock: fixedClock(0, false) });
  const message = text(await sign(approvalFor(challenge), TYP.approval, [keys.bob, keys.carol]));
  assert.equal((await verifyApproval(message, challenge, ctx)).ok, true);
});

void test('an approval with a time window is refused while the clock is unsynced', async () => {
  const nonceStore = new NonceStore();
  const challenge = await pendingChallenge(nonceStore);
  const ctx = context(await trustRootV1(), { nonceStore, clock: fixedClock(NOW, false) });
  const message = text(
    await sign(approvalFor(challenge, { notAfter: new Date(NOW + 3600_000).toISOString() }), TYP.approval, [
      keys.bob,
      keys.carol,
    ]),
  );
  refused(await verifyApproval(message, challenge, ctx), 'clock-unsynced', /not synchronized/);
  assert.equal(nonceStore.isCurrent(challenge.challengeId, challenge.nonce), true, 'a refusal must not burn the nonce');
});

void test('a change request without a nonce needs wall time: refused while unsynced', async () => {
  const message = text(await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]));
  refused(
    await verifyChangeRequest(message, context(await trustRootV1(), { clock: fixedClock(NOW, false) })),
    'clock-unsynced',
    /age cannot be checked/,
  );
});

void test('windows with a synced clock: expired, not yet open, too old, from the future', async () => {
  const root = await trustRootV1();
  const at = (ms: number) => new Date(ms).toISOString();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ window: { notAfter: at(NOW - 1000) } }, 'expired'],
    [{ window: { notBefore: at(NOW + 60_000) } }, 'not-yet-valid'],
    [{ issuedAt: at(NOW - 25 * 3600_000) }, 'expired'],
    [{ issuedAt: at(NOW + 3600_000) }, 'issued-in-future'],
  ];
  for (const [overrides, reason] of cases) {
    const message = text(await sign(requestPayload(overrides), TYP.request, [keys.alice, keys.bob]));
    refused(await verifyChangeRequest(message, context(root)), reason);
  }
  const nextWeek = {
    issuedAt: at(NOW - 7 * 86_400_000),
    window: { notBefore: at(NOW - 60_000), notAfter: at(NOW + 3600_000) },
  };
  assert.equal(
    (
      await verifyChangeRequest(
        text(await sign(requestPayload(nextWeek), TYP.request, [keys.alice, keys.bob])),
        context(root),
      )
    ).ok,
    true,
    'a window issued a week ahead',
  );
  const tooLong = { window: { notAfter: at(NOW + 30 * 86_400_000) } };
  refused(
    await verifyChangeRequest(
      text(await sign(requestPayload(tooLong), TYP.request, [keys.alice, keys.bob])),
      context(root),
    ),
    'window-too-long',
  );
  const open = text(
    await sign(requestPayload({ window: { notBefore: at(NOW - 1000), notAfter: at(NOW + 1000) } }), TYP.request, [
      keys.alice,
      keys.bob,
    ]),
  );
  assert.equal((await verifyChangeRequest(open, context(root))).ok, true);
});

void test('a replayed request id is refused, also by a new store instance after a restart', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'replay.json');
  const root = await trustRootV1();
  const message = text(await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]));
  const store = new ReplayStore(path);
  await store.load();
  assert.equal((await verifyChangeRequest(message, context(root, { replayStore: store }))).ok, true);
  refused(await verifyChangeRequest(message, context(root, { replayStore: store })), 'replayed');
  const restarted = new ReplayStore(path);
  await restarted.load();
  refused(
    await verifyChangeRequest(message, context(root, { replayStore: restarted })),
    'replayed',
    /already accepted/,
  );
  const fresh = new ReplayStore(join(dir, 'other.json'));
  await fresh.load();
  assert.equal(
    (await verifyChangeRequest(message, context(root, { replayStore: fresh }))).ok,
    true,
    'control: only the memory refuses it',
  );
});

void test('nonces survive a restart and are single-use across it', async (t) => {
  const path = join(tempDir(t), 'nonces.json');
  const first = new NonceStore(path);
  const challenge = await pendingChallenge(first);
  const second = new NonceStore(path);
  await second.load();
  assert.equal(await second.consume(challenge.challengeId, challenge.nonce), true);
  const third = new NonceStore(path);
  await third.load();
  assert.equal(await third.consume(challenge.challengeId, challenge.nonce), false);
});

void test('the replay store never forgets by count; expiry only with a synced clock, wall and monotonic', async () => {
  const monotonic = manualMonotonic();
  const store = new ReplayStore(undefined, { retentionMs: 1000, monotonic });
  // Far more ids than any count-based bound had (10,000): the first is still remembered.
  for (let i = 0; i < 12_000; i++) await store.remember(`id-${i}`, 0, true);
  assert.equal(store.size, 12_000);
  assert.equal(store.has('id-0'), true);
  assert.equal(await store.remember('id-0', 0, true), false, 'the oldest id is still a replay');
  monotonic.advance(10_000); // expiry needs monotonic time too (test/trust/clock-jumps.test.ts)
  await store.remember('e', 10_000, false);
  assert.equal(store.has('id-0'), true, 'unsynced: nothing expires by wall time');
  await store.remember('f', 10_000, true);
  assert.deepEqual(
    ['id-0', 'id-11999', 'e', 'f'].map((id) => store.has(id)),
    [false, false, true, true],
  );
});

void test('a persisted replay store keeps every id across a reload', async (t) => {
  const path = join(tempDir(t), 'replay.json');
  const store = new ReplayStore(path);
  for (let i = 0; i < 300; i++) await store.remember(`id-${i}`, NOW, true);
  const again = new ReplayStore(path);
  await again.load();
  assert.equal(again.size, 300);
  assert.equal(again.has('id-0'), true);
});

void test('power cycle: accepted with 2 approvers, refused for a router without power', async () => {
  const root = await trustRootV1();
  const payload = buildPowerCycle({
    agent: AGENT,
    router: { serial: SERIAL },
    requester: { name: 'noc' },
    now: NOW,
    reason: 'hung',
  });
  const message = text(await sign(payload, TYP.powerCycle, [keys.alice, keys.carol]));
  assert.equal((await verifyPowerCycle(message, context(root))).ok, true);
  const buttonOnly = context(root, { router: { name: 'core', serial: SERIAL, methods: ['button'] } });
  refused(await verifyPowerCycle(message, buttonOnly), 'policy-method');
  refused(await verifyChangeRequest(message, context(root)), 'bad-typ');
});

void test('a power cycle bound to a challenge works without wall time, once', async () => {
  const nonceStore = new NonceStore();
  const challenge = await pendingChallenge(nonceStore, 'chal-hung-1');
  const ctx = context(await trustRootV1(), { nonceStore, clock: fixedClock(0, false) });
  const payload = buildPowerCycle({
    agent: AGENT,
    router: { serial: SERIAL },
    requester: { name: 'noc' },
    now: NOW,
    reason: 'hung',
    challenge,
  });
  const message = text(await sign(payload, TYP.powerCycle, [keys.alice, keys.carol]));
  assert.equal((await verifyPowerCycle(message, ctx)).ok, true);
  refused(await verifyPowerCycle(message, ctx), 'replayed');
  assert.throws(
    () =>
      buildPowerCycle({
        agent: 'other',
        router: { serial: SERIAL },
        requester: { name: 'noc' },
        now: NOW,
        reason: 'hung',
        challenge,
      }),
    { reason: 'wrong-challenge' },
  );
});
