// Issue 12 §1: the scheduler's decisions at the opening, with fakes for the gate, the router
// and the publisher (the end-to-end test runs the real ones): a cancel and an opening never
// both win, an unsynchronized clock never acts, nothing opens early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleBook, type ScheduledOrder } from '../../src/agent/schedule/schedule-book.js';
import { expectationOf } from '../../src/agent/schedule/schedule-decisions.js';
import { Scheduler, type ScheduledRouter, type SchedulerDeps } from '../../src/agent/schedule/scheduler.js';
import type { Publisher } from '../../src/agent/publisher.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DeviceModeState } from '../../src/routeros/device-mode.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import type { Cancel, ChangeRequest } from '../../src/trust/messages.js';
import type { Accepted } from '../../src/trust/verify.js';
import { openEnvelope, type SignedInput } from '../../src/trust/jws.js';

const T = Date.parse('2026-12-07T10:00:00Z');
const state: DeviceModeState = {
  mode: 'home',
  features: { container: false } as DeviceModeState['features'],
  flagged: false,
  flaggingEnabled: true,
  allowedVersions: '',
  attemptCount: 0,
};

function order(requestId: string): ScheduledOrder {
  return {
    requestId,
    digest: `d-${requestId}`,
    kind: 'request',
    router: 'main',
    payload: Buffer.from(requestId).toString('base64url'),
    opensAt: T + 1000,
    closesAt: T + 3_600_000,
    scheduledAt: T,
    expect: expectationOf({ serial: 'HG1' }, state),
    state: 'scheduled',
  };
}

function accepted<M>(message: M): Accepted<M & ChangeRequest> & { router: string } {
  const verdict = {
    ok: true,
    message,
    approverNames: ['alice', 'bob'],
    signerKeyIds: [],
    requirement: { required: 2, because: [] },
    commit: () => Promise.resolve(),
    router: 'main',
  };
  return verdict as unknown as Accepted<M & ChangeRequest> & { router: string };
}

async function setup(t: { after: (fn: () => void) => void }, synced = true) {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-scheduler-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const book = new ScheduleBook(dir);
  const clock = fixedClock(T, synced);
  const started: string[] = [];
  const alarms: string[] = [];
  const answers: Array<{ id: string; state: string; code?: string }> = [];
  /** What the gate was given to verify, in order. */
  const verified: SignedInput[] = [];
  /** Verification of each order waits for this (to hold an opening in progress). */
  let hold: Promise<void> = Promise.resolve();
  const router: ScheduledRouter = {
    name: 'main',
    client: { readDeviceMode: () => Promise.resolve(state) },
    alarm: (a) => Promise.resolve(void alarms.push(a.code)),
    deliver: (a) =>
      Promise.resolve(void (a.message.kind === 'change-request' && started.push(a.message.requestId))).then(() => ({
        ok: true as const,
      })),
  };
  const gate: SchedulerDeps['gate'] = {
    verifyChangeRequest: async (input) => {
      await hold;
      verified.push(input);
      // The bytes of these fake orders are their request id; a reading names it in its payload.
      const requestId =
        input instanceof Uint8Array || typeof input === 'string'
          ? Buffer.from(input).toString()
          : (input.payload as { requestId: string }).requestId;
      return accepted({ kind: 'change-request', requestId } as ChangeRequest);
    },
    verifyPowerCycle: () => Promise.reject(new Error('not used')),
    routerFor: () => ({ name: 'main', serial: 'HG1', methods: ['power'] }),
  };
  const publisher = {
    progress: (id: string, data: { state: string }, error?: { code: string }) =>
      answers.push({ id, state: data.state, ...(error ? { code: error.code } : {}) }),
    event: () => undefined,
    scheduled: () => undefined,
  } as unknown as Publisher;
  const scheduler = new Scheduler({
    book,
    gate,
    routers: new Map([['main', router]]),
    publisher,
    audit: { append: () => Promise.resolve({} as never) },
    clock,
    logger: silentLogger(),
    checkMs: 3_600_000,
  });
  await scheduler.start();
  t.after(() => void scheduler.stop());
  return {
    book,
    clock,
    scheduler,
    started,
    alarms,
    answers,
    router,
    verified,
    setHold: (p: Promise<void>): void => {
      hold = p;
    },
  };
}

const cancelOf = (target: string) =>
  accepted({
    kind: 'cancel',
    requestId: `cancel-${target}`,
    cancels: target,
  } as unknown as Cancel) as unknown as Accepted<Cancel>;

void test('nothing opens before its time; then it starts once', async (t) => {
  const s = await setup(t);
  await s.book.add(order('order-0001'));
  await s.scheduler.check();
  assert.deepEqual(s.started, []);
  s.clock.set(T + 1000);
  await s.scheduler.check();
  await s.scheduler.check();
  assert.deepEqual(s.started, ['order-0001']);
  assert.equal(s.book.get('order-0001')?.state, 'started');
});

void test('a cancel while the order opens is too late; one cancelled while another opens never starts', async (t) => {
  const s = await setup(t);
  await s.book.add(order('order-0001'));
  await s.book.add(order('order-0002'));
  let release: () => void = () => undefined;
  s.setHold(new Promise<void>((resolve) => (release = resolve)));
  s.clock.set(T + 2000);
  const checking = s.scheduler.check(); // order-0001 is being verified
  await new Promise((resolve) => setImmediate(resolve));
  const late = await s.scheduler.cancel(cancelOf('order-0001'), 'dc1', 'main');
  assert.equal(late.ok, false);
  assert.match(late.ok ? '' : late.message, /starting now/);
  const other = await s.scheduler.cancel(cancelOf('order-0002'), 'dc2', 'main');
  assert.equal(other.ok, true, JSON.stringify(other));
  release();
  await checking;
  assert.deepEqual(s.started, ['order-0001']);
  assert.equal(s.book.get('order-0002')?.state, 'cancelled');
  assert.deepEqual(
    s.answers.filter((a) => a.id === 'order-0002'),
    [{ id: 'order-0002', state: 'cancelled', code: 'schedule-cancelled' }],
  );
  // Another router's cancel cannot touch it, and an ended order cannot be cancelled.
  assert.equal((await s.scheduler.cancel(cancelOf('order-0001'), 'dc3', 'other')).ok, false);
});

void test('a clock not synchronized at the opening: an alarm, the order expires, nothing starts', async (t) => {
  const s = await setup(t, false);
  await s.book.add(order('order-0001'));
  s.clock.set(T + 1000);
  await s.scheduler.check();
  assert.deepEqual(s.started, []);
  assert.deepEqual(s.alarms, ['schedule-clock-unsynced']);
  assert.equal(s.book.get('order-0001')?.state, 'expired');
  assert.deepEqual(s.answers, [{ id: 'order-0001', state: 'expired', code: 'schedule-clock-unsynced' }]);
});

void test('a scheduled order is verified again on what its door read; after a restart, on its bytes', async (t) => {
  const s = await setup(t);
  const payload = { kind: 'change-request', requestId: 'order-0007', issuedAt: new Date(T).toISOString() };
  const bytes = Buffer.from(
    JSON.stringify({ payload: Buffer.from(JSON.stringify(payload)).toString('base64url'), signatures: [] }),
  );
  const opened = openEnvelope(bytes);
  const order = { ...accepted({ ...payload, router: { serial: 'HG1' } } as ChangeRequest), opensAt: T + 1000 };
  const scheduled = await s.scheduler.schedule('request', order, 'd-order-0007', { payload: bytes, opened }, s.router);
  assert.deepEqual(scheduled, { ok: true });
  s.clock.set(T + 1000);
  await s.scheduler.check();
  assert.deepEqual(s.started, ['order-0007']);
  assert.equal(s.verified.length, 1);
  assert.equal(s.verified[0], opened, "the door's reading, not the bytes read again");
  // A scheduler that did not read the order (a restart) verifies its bytes from the book.
  const later = await setup(t);
  await later.book.add({ ...s.book.get('order-0007')!, state: 'scheduled' });
  later.clock.set(T + 1000);
  await later.scheduler.check();
  assert.ok(later.verified[0] instanceof Uint8Array);
});
