import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePayload } from '../../src/mqtt/contract.js';
import { emptyFleet, fleetJson, foldFleet } from '../../src/operator/fleet.js';
import { renderFleet } from '../../src/operator/status.js';
import { status } from './fixtures.js';

const B = 'dmconfirm/v1';
const order = {
  requestId: 'req-00000001',
  router: 'main',
  kind: 'request' as const,
  opensAt: '2026-12-08T00:00:00.000Z',
  closesAt: '2026-12-08T02:00:00.000Z',
  scheduledAt: '2026-12-07T10:00:00.000Z',
};
const list = (orders: unknown[]) => ({
  topic: `${B}/lab/pi1/scheduled`,
  payload: encodePayload({ v: 1, at: '2026-12-07T10:00:00.000Z', orders }),
});
const online = {
  topic: `${B}/lab/pi1/status`,
  payload: encodePayload(status('lab', 'pi1', 'online', '2026-12-07T10:00:00Z')),
};

void test('status lists the orders waiting for their window, and forgets them when the list empties', () => {
  const now = Date.parse('2026-12-07T20:00:00.000Z');
  let fleet = [online, list([order, { ...order, requestId: 'req-00000002', urgent: true }])].reduce(
    (f, m) => foldFleet(f, B, m),
    emptyFleet(),
  );
  const text = renderFleet(fleet, now, false);
  assert.match(text, /scheduled \(waiting for their maintenance window\):/);
  assert.match(
    text,
    /lab\/pi1 {2}main {2}request req-00000001 {2}window 2026-12-08T00:00:00.000Z \.\. 2026-12-08T02:00:00.000Z \(in 4h00m\)/,
  );
  assert.match(text, /req-00000002 .*urgent/);
  assert.deepEqual((fleetJson(fleet) as { agents: Array<{ scheduled: unknown[] }> }).agents[0]?.scheduled.length, 2);
  fleet = foldFleet(fleet, B, list([]));
  assert.doesNotMatch(renderFleet(fleet, now, false), /scheduled/);
});

void test('a scheduled list that breaks the contract is set aside', () => {
  const fleet = foldFleet(emptyFleet(), B, list([{ requestId: 'x' }]));
  assert.ok(fleet.malformed[`${B}/lab/pi1/scheduled`]);
});
