// The trust ledger: what an order uses up, made durable with one write; older state directories converted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncCount } from '../../src/store/fsync-count.js';
import { StateWriteError } from '../../src/store/state-error.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { TYP } from '../../src/trust/messages.js';
import { RateLimiter } from '../../src/trust/rate-limit.js';
import { ReplayStore } from '../../src/trust/replay-store.js';
import { SkCounterStore } from '../../src/trust/ssh/sk-counters.js';
import { TrustGate } from '../../src/trust/trust-gate.js';
import { TRUST_LEDGER_FILE } from '../../src/trust/trust-ledger.js';
import {
  AGENT,
  NOW,
  SERIAL,
  keys,
  policy,
  refused,
  requestPayload,
  rootPayload,
  sign,
  signedRoot,
  tempDir,
  text,
} from './fixtures.js';

async function gate(stateDir: string, initialTrustRoot: string, maxOperationsPerHour = 3): Promise<TrustGate> {
  const g = new TrustGate({
    stateDir,
    initialTrustRoot,
    agentId: AGENT,
    clock: fixedClock(NOW, true),
    policy: { ...policy, maxOperationsPerHour },
    routers: [{ name: 'core', serial: SERIAL, methods: ['power', 'button'] }],
  });
  await g.start();
  return g;
}

const order = async (requestId: string) =>
  text(await sign(requestPayload({ requestId }), TYP.request, [keys.alice, keys.bob]));

void test("an order's commit is one atomic write of the ledger: request id and rate budget, 2 fsyncs", async (t) => {
  const dir = tempDir(t);
  const root = await signedRoot(rootPayload(), [keys.alice, keys.bob]);
  const g = await gate(dir, root, 2);
  const accepted = await g.verifyChangeRequest(await order('request-1'));
  assert.ok(accepted.ok, JSON.stringify(accepted));
  const before = fsyncCount();
  await accepted.commit();
  assert.equal(fsyncCount() - before, 2, 'the temporary file and the directory: one write for every store');
  const ledger = JSON.parse(readFileSync(join(dir, TRUST_LEDGER_FILE), 'utf8')) as Record<
    string,
    { seen?: object; routers?: object }
  >;
  assert.deepEqual(Object.keys(ledger.replay?.seen ?? {}), ['request-1']);
  assert.equal((ledger.rate?.routers as Record<string, unknown[]>).core?.length, 1);
  for (const old of ['replay.json', 'rate.json', 'sk-counters.json'])
    assert.equal(existsSync(join(dir, old)), false, old);

  const restarted = await gate(dir, root, 2);
  refused(await restarted.verifyChangeRequest(await order('request-1')), 'replayed');
  const second = await restarted.verifyChangeRequest(await order('request-2'));
  assert.ok(second.ok);
  await second.commit();
  refused(await (await gate(dir, root, 2)).verifyChangeRequest(await order('request-3')), 'rate-limited');
});

void test('a ledger write that fails uses nothing: the same order commits once writable', async (t) => {
  const dir = tempDir(t);
  const g = await gate(dir, await signedRoot(rootPayload(), [keys.alice, keys.bob]), 1);
  const accepted = await g.verifyChangeRequest(await order('request-1'));
  assert.ok(accepted.ok);
  // The ledger cannot be replaced (a directory in its place; root ignores read-only modes).
  mkdirSync(join(dir, TRUST_LEDGER_FILE, 'blocker'), { recursive: true });
  await assert.rejects(accepted.commit(), StateWriteError);
  rmSync(join(dir, TRUST_LEDGER_FILE), { recursive: true });
  assert.equal(g.replayStore.has('request-1'), false, 'no id');
  assert.equal(g.rateLimiter.waitMs('core', 1), 0, 'no budget');
  await accepted.commit();
  assert.equal(g.replayStore.has('request-1'), true);
});

void test('state of the earlier version (one file per store) is converted at start, nothing forgotten', async (t) => {
  const dir = tempDir(t);
  const root = await signedRoot(rootPayload(), [keys.alice, keys.bob]);
  // Written by the stores exactly as the earlier version did, each in its own file.
  const replay = new ReplayStore(join(dir, 'replay.json'));
  assert.equal(await replay.remember('request-old', NOW - 1000, true), true);
  const rate = new RateLimiter(join(dir, 'rate.json'));
  for (let i = 0; i < 2; i++) assert.equal(await rate.take('core', 5, NOW - 1000), true);
  const counters = new SkCounterStore(join(dir, 'sk-counters.json'));
  await counters.advance([{ fingerprint: 'SHA256:key', counter: 41, flags: 1, assertion: 'a' }]);

  const g = await gate(dir, root, 3);
  for (const old of ['replay.json', 'rate.json', 'sk-counters.json'])
    assert.equal(existsSync(join(dir, old)), false, `${old} converted`);
  assert.equal(g.skCounters.last('SHA256:key'), 41);
  refused(await g.verifyChangeRequest(await order('request-old')), 'replayed');
  const third = await g.verifyChangeRequest(await order('request-new'));
  assert.ok(third.ok, 'two of three operations used before the upgrade: one left');
  await third.commit();
  const after = await gate(dir, root, 3);
  refused(await after.verifyChangeRequest(await order('request-other')), 'rate-limited');
  assert.equal(after.skCounters.last('SHA256:key'), 41);
});
