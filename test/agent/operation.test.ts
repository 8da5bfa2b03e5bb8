// One operation, state by state, on the real journal, audit log and publisher (test/agent/fakes.ts):
// legal transitions only, journaled before published, and the state directory's failure rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Operation } from '../../src/agent/operation.js';
import { IllegalTransitionError } from '../../src/agent/operation-state.js';
import { StateWriteError } from '../../src/store/state-error.js';
import { flowRig, type FlowRig } from './fakes.js';

const init = {
  router: 'r1',
  kind: 'powercycle' as const,
  requestId: 'req-op-1',
  requestDigest: 'digest-op-1',
  method: 'power' as const,
};

/** From now on every journal write fails as on a read-only state directory. */
function readOnly(rig: FlowRig): void {
  rig.journal.save = () =>
    Promise.reject(
      new StateWriteError('/state/journal/r1.json', Object.assign(new Error('read-only'), { code: 'EROFS' })),
    );
}

void test('operation: begin journals idle (or a first state); steps journaled, published; end clears', async (t) => {
  const rig = await flowRig(t);
  const op = await Operation.begin(rig.ctx.services, init);
  assert.equal(op.state, 'idle');
  assert.equal(rig.saved.at(-1)?.state, 'idle', 'journaled before anything acts');
  await op.to('actuating', 'cutting the power');
  assert.equal(rig.saved.at(-1)?.state, 'actuating');
  await op.to('rebooting');
  await op.to('verifying');
  await op.to('done', 'verified');
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'done']);
  assert.deepEqual(
    op.record.history.map((h) => h.state),
    ['actuating', 'rebooting', 'verifying', 'done'],
  );
  assert.equal(op.record.outcomeReported, true);
  assert.equal((await rig.journal.load()).size, 0, 'a final state clears the journal');
});

void test('operation: an illegal transition throws before anything is written or published', async (t) => {
  const rig = await flowRig(t);
  const op = await Operation.begin(rig.ctx.services, { ...init, kind: 'change' }, 'requesting');
  const written = rig.saved.length;
  await assert.rejects(op.to('verifying'), IllegalTransitionError, 'requesting → verifying skips the action');
  await assert.rejects(op.to('done'), IllegalTransitionError);
  assert.equal(rig.saved.length, written);
  assert.deepEqual(rig.states(), ['requesting']);
  await op.to('failed', 'refused');
  await assert.rejects(op.to('actuating'), IllegalTransitionError, 'nothing leaves a final state');
});

void test('operation: ending before the first step (idle → failed, cancelled) is legal; idle → done not', async (t) => {
  const rig = await flowRig(t);
  const cancelled = await Operation.begin(rig.ctx.services, init);
  await cancelled.to('cancelled', 'agent restarted before acting');
  const failed = await Operation.begin(rig.ctx.services, { ...init, requestId: 'req-op-2' });
  await failed.to('failed', 'refused');
  const done = await Operation.begin(rig.ctx.services, { ...init, requestId: 'req-op-3' });
  await assert.rejects(done.to('done'), IllegalTransitionError);
});

void test('operation: a state write failing before acting stops it; abandon ends it state-unwritable', async (t) => {
  const rig = await flowRig(t);
  readOnly(rig);
  let error: unknown;
  await Operation.begin(rig.ctx.services, init).catch((e: unknown) => (error = e));
  assert.ok(error instanceof StateWriteError, 'the first record could not be written: begin rethrows');
  // The supervisor then abandons the operation the flow created (tracked), from idle.
  let tracked: Operation | undefined;
  const services = { ...rig.ctx.services, track: (op: Operation) => (tracked = op) };
  await Operation.begin(services, { ...init, requestId: 'req-op-4' }).catch(() => undefined);
  assert.ok(tracked);
  await tracked.abandon(error);
  assert.equal(tracked.state, 'failed');
  assert.equal(rig.finalCode(), 'state-unwritable');
  assert.deepEqual(rig.states(), ['failed']);
});

void test('operation: once actuating is recorded, failed writes are reported and the operation goes on', async (t) => {
  const rig = await flowRig(t);
  const op = await Operation.begin(rig.ctx.services, init);
  await op.to('actuating');
  readOnly(rig);
  await op.note({ actuatorEngaged: false });
  await op.to('rebooting');
  await op.to('verifying');
  await op.to('done');
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'done'], 'published even though not recorded');
  const late = new StateWriteError('/state/x', new Error('EIO'));
  await op.abandon(late); // final already: only reported
  assert.equal(op.state, 'done');
});

void test('operation: abandon after the actuator may have acted rethrows (recovery verifies)', async (t) => {
  const rig = await flowRig(t);
  const op = await Operation.begin(rig.ctx.services, init);
  await op.to('actuating');
  await assert.rejects(op.abandon(new StateWriteError('/state/x', new Error('EIO'))), StateWriteError);
  assert.equal(op.state, 'actuating');
});
