// Issue 12 §1: the scheduled orders' file and the pure decisions at the window's opening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleBook, type ScheduledOrder } from '../../src/agent/schedule/schedule-book.js';
import { closesAt, expectationOf, publishedList, routerDrift } from '../../src/agent/schedule/schedule-decisions.js';
import { StateWriteError } from '../../src/store/state-error.js';
import type { DeviceModeState } from '../../src/routeros/device-mode.js';

const T = Date.parse('2026-12-07T10:00:00Z');
const HOUR = 3600_000;

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'dmconfirm-schedule-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const state = (over: Partial<DeviceModeState> = {}): DeviceModeState => ({
  mode: 'home',
  features: { container: false, fetch: false } as DeviceModeState['features'],
  flagged: false,
  flaggingEnabled: true,
  allowedVersions: '7.13+',
  attemptCount: 0,
  ...over,
});

const order = (requestId: string, over: Partial<ScheduledOrder> = {}): ScheduledOrder => ({
  requestId,
  digest: `d-${requestId}`,
  kind: 'request',
  router: 'main',
  payload: Buffer.from('{}').toString('base64url'),
  opensAt: T + HOUR,
  closesAt: T + 3 * HOUR,
  scheduledAt: T,
  expect: expectationOf({ serial: 'HG1' }, state()),
  state: 'scheduled',
  ...over,
});

void test('orders survive a reload; an id is held after its order ended, until its window has closed', async (t) => {
  const d = dir(t);
  const book = new ScheduleBook(d);
  assert.equal(await book.add(order('order-0001', { opensAt: T + 2 * HOUR })), true);
  assert.equal(await book.add(order('order-0002')), true);
  assert.equal(await book.add(order('order-0001')), false, 'an id is scheduled once');
  assert.equal(await book.end('order-0002', 'cancelled', T + 10, 'cancelled by alice, bob'), true);
  assert.equal(await book.end('order-0002', 'started', T + 20, 'too late'), false, 'ended once');

  const again = new ScheduleBook(d);
  await again.load();
  assert.deepEqual(
    again.waiting().map((o) => o.requestId),
    ['order-0001'],
  );
  assert.equal(again.get('order-0002')?.state, 'cancelled');
  await again.prune(T + 2 * HOUR);
  assert.ok(again.get('order-0002'), 'kept while its window is open: it cannot be sent again');
  await again.prune(T + 4 * HOUR);
  assert.equal(again.get('order-0002'), undefined);
  assert.ok(again.get('order-0001'), 'a waiting order is never pruned');
  assert.match(readFileSync(join(d, 'scheduled.json'), 'utf8'), /"v": 1/);
});

void test('a write that fails changes nothing', async (t) => {
  const d = dir(t);
  const state = join(d, 'state');
  const book = new ScheduleBook(state);
  await book.add(order('order-0001'));
  // The state directory gone and a file in its place: every write fails (ENOTDIR/EEXIST), also as root.
  renameSync(state, join(d, 'moved'));
  writeFileSync(state, 'not a directory');
  await assert.rejects(book.add(order('order-0002')), StateWriteError);
  await assert.rejects(book.end('order-0001', 'cancelled', T, 'x'), StateWriteError);
  assert.deepEqual(
    book.waiting().map((o) => o.requestId),
    ['order-0001'],
  );
});

void test('a damaged schedule file stops the start with its path', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'scheduled.json'), JSON.stringify({ v: 1, orders: [{ requestId: 'x' }] }));
  await assert.rejects(new ScheduleBook(d).load(), /scheduled\.json: not a schedule file/);
});

void test('the router must show at the opening what it showed at scheduling', () => {
  const then = expectationOf({ serial: 'HG1' }, state());
  assert.equal(routerDrift(then, expectationOf({ serial: 'HG1' }, state())), undefined);
  assert.match(routerDrift(then, expectationOf({ serial: 'HG2' }, state())) ?? '', /paired unit is HG2/);
  assert.match(
    routerDrift(then, expectationOf({ serial: 'HG1' }, state({ attemptCount: 1 }))) ?? '',
    /attempt-count is 1, it was 0/,
  );
  assert.match(
    routerDrift(then, expectationOf({ serial: 'HG1' }, state({ mode: 'advanced' }))) ?? '',
    /device-mode is advanced/,
  );
  assert.match(routerDrift(then, expectationOf({ serial: 'HG1' }, state({ flagged: true }))) ?? '', /flagged is yes/);
  const fetch = state({ features: { container: false, fetch: true } as DeviceModeState['features'] });
  assert.match(routerDrift(then, expectationOf({ serial: 'HG1' }, fetch)) ?? '', /features fetch changed/);
});

void test('an order closes at its notAfter, or a day after it opens; the published list is soonest first', () => {
  assert.equal(
    closesAt({ issuedAt: '2026-12-07T10:00:00Z', window: { notAfter: '2026-12-08T02:00:00Z' } }),
    Date.parse('2026-12-08T02:00:00Z'),
  );
  assert.equal(
    closesAt({ issuedAt: '2026-12-07T10:00:00Z', window: { notBefore: '2026-12-08T00:00:00Z' } }),
    Date.parse('2026-12-09T00:00:00Z'),
  );
  const list = publishedList([order('order-0001', { urgent: true })]);
  assert.deepEqual(list, [
    {
      requestId: 'order-0001',
      router: 'main',
      kind: 'request',
      opensAt: '2026-12-07T11:00:00.000Z',
      closesAt: '2026-12-07T13:00:00.000Z',
      scheduledAt: '2026-12-07T10:00:00.000Z',
      urgent: true,
    },
  ]);
});
