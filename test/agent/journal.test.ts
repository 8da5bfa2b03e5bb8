import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationJournal, JournalError, withState, type OperationRecord } from '../../src/agent/journal.js';
import { fsyncCount } from '../../src/store/fsync-count.js';
import { DEVICE_MODE_FEATURES, type DeviceModeFeature } from '../../src/routeros/device-mode.js';
import { deadlineIn, monotonicRemainingMs } from '../../src/time/deadline.js';
import { currentBootId } from '../../src/time/monotonic.js';

function stateDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function record(router: string, at = new Date('2026-01-01T00:00:00Z')): OperationRecord {
  return {
    v: 1,
    id: `op-${router}`,
    router,
    kind: 'change',
    state: 'requesting',
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    requestId: 'req-12345678',
    requestDigest: 'digest',
    method: 'power',
    attemptCountBefore: 0,
    deadline: deadlineIn(300_000, at),
    actuatorEngaged: false,
    outcomeReported: false,
    history: [{ state: 'requesting', at: at.toISOString() }],
  };
}

void test("a restarted agent finds each router's operation as last journaled, until cleared", async (t) => {
  const dir = stateDir(t);
  const journal = new OperationJournal(dir);
  assert.equal((await journal.load()).size, 0);
  let core = record('core-1');
  await journal.save(core);
  core = { ...withState(core, 'actuating', new Date('2026-01-01T00:01:00Z')), actuatorEngaged: true };
  await journal.save(core);
  await journal.save(record('edge-2'));

  const afterCrash = await new OperationJournal(dir).load();
  assert.deepEqual([...afterCrash.keys()], ['core-1', 'edge-2']);
  const found = afterCrash.get('core-1')!;
  assert.equal(found.state, 'actuating');
  assert.equal(found.actuatorEngaged, true, 'the restart must know to release the actuator');
  assert.deepEqual(
    found.history.map((h) => h.state),
    ['requesting', 'actuating'],
  );

  await journal.save({ ...withState(found, 'failed', new Date()), actuatorEngaged: false, outcomeReported: true });
  assert.equal((await journal.load()).get('core-1')!.outcomeReported, true);
  await journal.clear('core-1');
  await journal.clear('core-1');
  assert.deepEqual([...(await journal.load()).keys()], ['edge-2']);
  assert.deepEqual(readdirSync(join(dir, 'operations')), ['edge-2.jsonl'], 'no temporaries left behind');
});

void test('saves for one router land in call order', async (t) => {
  const journal = new OperationJournal(stateDir(t));
  const base = record('core-1');
  await Promise.all(
    (['pending', 'actuating', 'rebooting', 'verifying', 'done'] as const).map((s) =>
      journal.save(withState(base, s, new Date())),
    ),
  );
  assert.equal((await journal.load()).get('core-1')!.state, 'done');
});

void test("a record that does not parse, or sits under another router's name, stops the load", async (t) => {
  const dir = stateDir(t);
  const journal = new OperationJournal(dir);
  await journal.save(record('core-1'));
  writeFileSync(join(dir, 'operations', 'edge-2.jsonl'), '{"v":1,"id":\n');
  await assert.rejects(journal.load(), JournalError);
  writeFileSync(join(dir, 'operations', 'edge-2.jsonl'), JSON.stringify(record('core-1')) + '\n');
  await assert.rejects(journal.load(), /holds router "core-1"/);
  writeFileSync(join(dir, 'operations', 'edge-2.jsonl'), '');
  await assert.rejects(journal.load(), /not an operation record/, 'nothing whole in it: nothing to trust');
  await assert.rejects(journal.save(record('../etc')), JournalError);
});

void test('the recovery fields round-trip typed; an unknown or malformed field stops the load', async (t) => {
  const dir = stateDir(t);
  const journal = new OperationJournal(dir);
  const features = Object.fromEntries(DEVICE_MODE_FEATURES.map((f) => [f, f === 'container'])) as Record<
    DeviceModeFeature,
    boolean
  >;
  const expected = { mode: 'advanced' as const, features, flagged: false };
  const before = { ...expected, features: { ...features, container: false } };
  const engaged = {
    ...record('core-1'),
    actuatorEngaged: true,
    expected,
    before,
    expectAttemptCount: 0,
    engagedAt: deadlineIn(0, new Date()),
  };
  await journal.save(engaged);
  const loaded = (await journal.load()).get('core-1')!;
  assert.deepEqual(loaded.expected, expected);
  assert.deepEqual(loaded.before, before);
  assert.equal(loaded.expectAttemptCount, 0);
  assert.equal(loaded.engagedAt?.bootId, currentBootId());
  const file = join(dir, 'operations', 'core-1.jsonl');
  const bad: Array<[string, unknown]> = [
    ['unknown field', { ...engaged, expectedMode: 'home' }],
    ['feature missing', { ...engaged, expected: { ...expected, features: { container: true } } }],
    ['unknown feature', { ...engaged, before: { ...before, features: { ...features, teleport: true } } }],
    ['mode not a device-mode', { ...engaged, expected: { ...expected, mode: 'enterprise-plus' } }],
    ['attempt count negative', { ...engaged, expectAttemptCount: -1 }],
    ['engagedAt not a deadline', { ...engaged, engagedAt: '2026-01-01T00:00:00Z' }],
  ];
  for (const [why, value] of bad) {
    writeFileSync(file, JSON.stringify(value) + '\n');
    await assert.rejects(journal.load(), JournalError, why);
  }
  await assert.rejects(journal.save({ ...engaged, expectAttemptCount: 1.5 }), /expectAttemptCount/);
});

void test('each step is one line and one flush; a torn last line is a step never taken', async (t) => {
  const dir = stateDir(t);
  const journal = new OperationJournal(dir);
  const first = record('core-1');
  await journal.save(first);
  const actuating = { ...withState(first, 'actuating', new Date()), actuatorEngaged: true };
  const before = fsyncCount();
  await journal.save(actuating);
  assert.equal(fsyncCount() - before, 1, 'an append: one fdatasync, no directory fsync');
  const file = join(dir, 'operations', 'core-1.jsonl');
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3, 'two lines');

  // A crash in the middle of the next append: part of its line, no newline.
  const rebooting = JSON.stringify(withState(actuating, 'rebooting', new Date()));
  appendFileSync(file, rebooting.slice(0, 40));
  const restarted = new OperationJournal(dir);
  assert.equal((await restarted.load()).get('core-1')!.state, 'actuating', 'the last whole record');
  await restarted.save(withState(actuating, 'verifying', new Date()));
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 2, 'replaced: the torn bytes are gone');
  assert.equal((await new OperationJournal(dir).load()).get('core-1')!.state, 'verifying');

  // A damaged line that is not the last one is not a crash: refuse.
  writeFileSync(file, `${JSON.stringify(first)}\n{"v":1,"st\n${JSON.stringify(actuating)}\n`);
  await assert.rejects(new OperationJournal(dir).load(), /line 2 is not JSON/);
});

void test("an earlier version's record (one JSON file, replaced whole) is converted and acted on", async (t) => {
  const dir = stateDir(t);
  mkdirSync(join(dir, 'operations'));
  const engaged = { ...withState(record('core-1'), 'actuating', new Date()), actuatorEngaged: true };
  writeFileSync(join(dir, 'operations', 'core-1.json'), JSON.stringify(engaged, null, 2) + '\n');
  const loaded = await new OperationJournal(dir).load();
  assert.deepEqual(loaded.get('core-1'), engaged);
  assert.deepEqual(readdirSync(join(dir, 'operations')), ['core-1.jsonl']);
  // A crash after the conversion, before the old file went: the converted journal is current.
  writeFileSync(join(dir, 'operations', 'core-1.json'), JSON.stringify(record('core-1')));
  assert.equal((await new OperationJournal(dir).load()).get('core-1')!.state, 'actuating');
  assert.deepEqual(readdirSync(join(dir, 'operations')), ['core-1.jsonl']);
  writeFileSync(join(dir, 'operations', 'edge-2.json'), '{"v":1,"id":');
  await assert.rejects(new OperationJournal(dir).load(), /edge-2\.json is not an operation record/);
});

void test('a monotonic deadline holds within its boot and is unknown in another one', () => {
  const d = deadlineIn(60_000, new Date(0), 'boot-a', 1_000);
  assert.equal(d.wall, new Date(60_000).toISOString());
  assert.equal(monotonicRemainingMs(d, 'boot-a', 21_000), 40_000);
  assert.equal(monotonicRemainingMs(d, 'boot-b', 21_000), undefined);
  const live = deadlineIn(60_000, new Date());
  assert.equal(live.bootId, currentBootId());
  const left = monotonicRemainingMs(live);
  assert.ok(left !== undefined && left > 0 && left <= 60_000);
});
