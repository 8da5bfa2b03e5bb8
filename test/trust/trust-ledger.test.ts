// The trust ledger: what an order uses up, made durable with one append; older state directories converted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncCount } from '../../src/store/fsync-count.js';
import { StateWriteError } from '../../src/store/state-error.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { TYP } from '../../src/trust/messages.js';
import { RateLimiter } from '../../src/trust/rate-limit.js';
import { ReplayStore } from '../../src/trust/replay-store.js';
import { SkCounterStore } from '../../src/trust/ssh/sk-counters.js';
import { TrustGate } from '../../src/trust/trust-gate.js';
import {
  LEDGER_COMPACT_BYTES,
  REPLACED_LEDGER_FILE,
  TRUST_LEDGER_FILE,
  TrustLedger,
} from '../../src/trust/trust-ledger.js';
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
import { ledgerLines, ledgerSections } from '../e2e/state-files.js';

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

/** A state directory whose ledger has one order committed (request-1), at most 3 operations an hour. */
async function committedOne(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; root: string }> {
  const dir = tempDir(t);
  const root = await signedRoot(rootPayload(), [keys.alice, keys.bob]);
  const accepted = await (await gate(dir, root, 3)).verifyChangeRequest(await order('request-1'));
  assert.ok(accepted.ok);
  await accepted.commit();
  return { dir, root };
}

void test("an order's commit is one append to the ledger: request id and rate budget, 1 fsync", async (t) => {
  const dir = tempDir(t);
  const root = await signedRoot(rootPayload(), [keys.alice, keys.bob]);
  const g = await gate(dir, root, 2);
  assert.deepEqual(ledgerLines(dir), [{ v: 1 }], 'made at start, so that every commit is an append');
  const accepted = await g.verifyChangeRequest(await order('request-1'));
  assert.ok(accepted.ok, JSON.stringify(accepted));
  const before = fsyncCount();
  await accepted.commit();
  assert.equal(fsyncCount() - before, 1, 'one line, one fdatasync, for every store');
  const second = await g.verifyChangeRequest(await order('request-2'));
  assert.ok(second.ok);
  await second.commit();
  const lines = ledgerLines(dir);
  assert.equal(lines.length, 3);
  assert.deepEqual(Object.keys(lines[1]!).sort(), ['rate', 'replay', 'v'], 'a line names the sections it replaces');
  const ledger = ledgerSections(dir) as Record<string, { seen?: object; routers?: object }>;
  assert.deepEqual(Object.keys(ledger.replay?.seen ?? {}), ['request-1', 'request-2']);
  assert.equal((ledger.rate?.routers as Record<string, unknown[]>).core?.length, 2);
  for (const old of ['replay.json', 'rate.json', 'sk-counters.json', REPLACED_LEDGER_FILE])
    assert.equal(existsSync(join(dir, old)), false, old);

  const restarted = await gate(dir, root, 2);
  assert.equal(ledgerLines(dir).length, 1, 'rewritten as one line at start');
  refused(await restarted.verifyChangeRequest(await order('request-1')), 'replayed');
  refused(await restarted.verifyChangeRequest(await order('request-3')), 'rate-limited');
});

void test('a torn last line is a commit that never returned; a damaged line stops the start', async (t) => {
  const { dir, root } = await committedOne(t);
  const path = join(dir, TRUST_LEDGER_FILE);
  const whole = readFileSync(path, 'utf8');
  appendFileSync(path, '{"v":1,"replay":{"seen":{"request-2"');
  const restarted = await gate(dir, root, 3);
  assert.equal(ledgerLines(dir).length, 1, 'rewritten whole: the torn bytes are gone');
  refused(await restarted.verifyChangeRequest(await order('request-1')), 'replayed');
  assert.ok((await restarted.verifyChangeRequest(await order('request-2'))).ok, 'never recorded, so not used');

  writeFileSync(path, `{"v":1,"replay":\n${whole}`);
  await assert.rejects(gate(dir, root, 3), /not a trust ledger.*line 1 is not JSON/);
  writeFileSync(path, '');
  await assert.rejects(gate(dir, root, 3), /no whole line/, 'emptied: what it held is lost, so refuse');
  writeFileSync(path, `{"v":2}\n`);
  await assert.rejects(gate(dir, root, 3), /not a trust ledger of version 1/);
});

void test('the ledger of the version before (one JSON object, replaced whole) is converted at start', async (t) => {
  const { dir, root } = await committedOne(t);
  const sections = ledgerSections(dir);
  rmSync(join(dir, TRUST_LEDGER_FILE));
  writeFileSync(join(dir, REPLACED_LEDGER_FILE), JSON.stringify(sections, null, 2) + '\n');
  const converted = await gate(dir, root, 3);
  assert.equal(existsSync(join(dir, REPLACED_LEDGER_FILE)), false);
  assert.deepEqual(ledgerSections(dir), sections);
  refused(await converted.verifyChangeRequest(await order('request-1')), 'replayed');
});

void test('a ledger grown by appends is rewritten as one line after the write that grew it', async (t) => {
  const dir = tempDir(t);
  const ledger = new TrustLedger(dir);
  await ledger.load();
  const big = 'x'.repeat(LEDGER_COMPACT_BYTES / 2);
  await ledger.writeSections({ replay: { i: 0, big } });
  assert.equal(ledgerLines(dir).length, 2, 'appended to the line made at start');
  await ledger.writeSections({ replay: { i: 1, big } });
  await ledger.writeSections({ rate: { routers: {} } });
  await ledger.writeSections({ sk: { counters: {} } });
  assert.equal(ledgerLines(dir).length, 3, 'compacted once past the mark, then appended again');
  assert.deepEqual(ledgerSections(dir), { v: 1, replay: { i: 1, big }, rate: { routers: {} }, sk: { counters: {} } });
});

void test('a ledger write that fails uses nothing: the same order commits once writable', async (t) => {
  const dir = tempDir(t);
  const g = await gate(dir, await signedRoot(rootPayload(), [keys.alice, keys.bob]), 1);
  const accepted = await g.verifyChangeRequest(await order('request-1'));
  assert.ok(accepted.ok);
  // The ledger can be neither appended to nor replaced (a directory in its place; root ignores read-only modes).
  rmSync(join(dir, TRUST_LEDGER_FILE));
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
