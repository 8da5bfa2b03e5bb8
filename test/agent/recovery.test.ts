// Crash recovery on fakes (test/agent/fakes.ts), state by state: what a restarted agent does
// with the operation its journal holds. Never acts again; waits for and verifies an action
// that may have happened; cancels one that had not, and hands a change still pending on the
// router back to be challenged afresh.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperationRecord } from '../../src/agent/journal.js';
import { recoverOperation } from '../../src/agent/recovery.js';
import { modeDefaults } from '../../src/routeros/device-mode.js';
import { deadlineIn } from '../../src/time/deadline.js';
import { flowRig, type FlowRig } from './fakes.js';

// As expectedAfter writes it: flagging-enabled and allowed-versions too (a record without them cannot verify).
const unchanged = {
  mode: 'home' as const,
  features: modeDefaults('home'),
  flagged: false,
  flaggingEnabled: true,
  allowedVersions: '',
};
const container = { ...unchanged, features: { ...unchanged.features, container: true } };

function journaled(state: OperationRecord['state'], extra: Partial<OperationRecord> = {}): OperationRecord {
  const at = new Date().toISOString();
  return {
    v: 1,
    id: 'op-1',
    router: 'r1',
    kind: 'powercycle',
    state,
    createdAt: at,
    updatedAt: at,
    requestId: 'req-recover-1',
    method: 'power',
    actuatorEngaged: false,
    outcomeReported: false,
    history: [],
    ...extra,
  };
}

/** Engaged `agoMs` before now by the rig's clock, in this boot of the host (or another). */
function engaged(rig: FlowRig, agoMs: number, bootId?: string): Partial<OperationRecord> {
  const at = deadlineIn(0, rig.clock.wall(), bootId, rig.clock.mono() - agoMs);
  return { actuatorEngaged: true, expected: unchanged, before: unchanged, expectAttemptCount: 0, engagedAt: at };
}

void test('recovery: a final record is only cleared from the journal; nothing published', async (t) => {
  const rig = await flowRig(t);
  const record = journaled('done');
  await rig.journal.save(record);
  assert.equal(await recoverOperation(rig.ctx, record), undefined);
  assert.equal((await rig.journal.load()).size, 0);
  assert.deepEqual(rig.states(), []);
});

void test('recovery: an operation that had not acted is cancelled, nothing actuated', async (t) => {
  const rig = await flowRig(t);
  const pending = await recoverOperation(rig.ctx, journaled('pending', { attemptCountBefore: 0 }));
  assert.equal(pending, undefined, 'attempt-count did not rise: nothing is left pending');
  assert.deepEqual(rig.states(), ['cancelled']);
  assert.deepEqual(rig.power.acts, []);
});

void test('recovery: an operation journaled at idle (restart right after begin) is cancelled, no loop', async (t) => {
  const rig = await flowRig(t);
  await recoverOperation(rig.ctx, journaled('idle'));
  assert.deepEqual(rig.states(), ['cancelled']);
  assert.equal((await rig.journal.load()).size, 0);
});

void test('recovery: an unacted change still pending comes back to be challenged, with its time left', async (t) => {
  const rig = await flowRig(t);
  rig.router.state = { ...rig.router.state, attemptCount: 1 };
  const deadline = deadlineIn(60_000, rig.clock.wall(), undefined, rig.clock.mono());
  rig.clock.advance(20_000);
  const still = await recoverOperation(
    rig.ctx,
    journaled('challenged', { kind: 'observed', attemptCountBefore: 0, deadline }),
  );
  assert.deepEqual(rig.states(), ['cancelled']);
  assert.ok(still);
  assert.equal(still.afterRestart, true);
  assert.deepEqual([still.previousAttemptCount, still.attemptCount], [0, 1]);
  assert.equal(still.timeoutMs, 40_000);
});

void test('recovery: a change whose deadline passed is not challenged again', async (t) => {
  const rig = await flowRig(t);
  rig.router.state = { ...rig.router.state, attemptCount: 1 };
  const deadline = deadlineIn(60_000, rig.clock.wall(), undefined, rig.clock.mono());
  rig.clock.advance(61_000);
  assert.equal(
    await recoverOperation(rig.ctx, journaled('pending', { kind: 'change', attemptCountBefore: 0, deadline })),
    undefined,
  );
  assert.deepEqual(rig.states(), ['cancelled']);
});

void test('recovery: an operation caught mid-reboot is waited for and verified without acting again', async (t) => {
  const rig = await flowRig(t);
  rig.router.boot(); // engaged 10 s ago; it rebooted while the agent was away
  await recoverOperation(rig.ctx, journaled('rebooting', engaged(rig, 10_000)));
  assert.deepEqual(rig.states(), ['verifying', 'done']);
  assert.deepEqual(rig.power.acts, []);
  assert.equal((await rig.journal.load()).size, 0);
});

void test('recovery: engaged while challenged: recorded as actuating, then rebooting, verified', async (t) => {
  const rig = await flowRig(t);
  rig.router.boot();
  await recoverOperation(rig.ctx, journaled('challenged', { kind: 'observed', ...engaged(rig, 10_000) }));
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'done']);
  assert.deepEqual([rig.power.acts, rig.button.acts], [[], []]);
  assert.equal(rig.saved.find((r) => r.state === 'rebooting')?.actuatorEngaged, false, 'released at start-up');
});

void test("recovery: uptime counting since before this boot's action: it missed, not-confirmed", async (t) => {
  const rig = await flowRig(t);
  await recoverOperation(rig.ctx, journaled('rebooting', engaged(rig, 10_000)));
  assert.deepEqual(rig.states(), ['verifying', 'failed']);
  assert.equal(rig.finalCode(), 'not-confirmed');
  assert.deepEqual(rig.alarms, []);
});

void test('recovery: engaged in another boot of the host: reboot unknown, the read-back decides', async (t) => {
  const rig = await flowRig(t);
  rig.router.state = { ...rig.router.state, features: container.features };
  await recoverOperation(
    rig.ctx,
    journaled('rebooting', { ...engaged(rig, 10_000, 'another-boot'), expected: container }),
  );
  assert.deepEqual(rig.states(), ['verifying', 'done']);
});

void test('recovery: a router that does not come back fails router-not-back with a critical alarm', async (t) => {
  const rig = await flowRig(t);
  rig.router.down = true;
  await recoverOperation(rig.ctx, journaled('rebooting', engaged(rig, 10_000)));
  assert.deepEqual(rig.states(), ['failed']);
  assert.equal(rig.finalCode(), 'router-not-back');
  assert.deepEqual(
    rig.alarms.map((a) => [a.code, a.severity]),
    [['router-not-back', 'critical']],
  );
});
