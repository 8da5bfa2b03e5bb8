import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REBOOT_SLACK_S, rebootedSince } from '../../src/routeros/reboot.js';

void test('one slack for every path: whole-second rounding is not a reboot, a shortfall beyond it is', () => {
  assert.equal(REBOOT_SLACK_S, 1.5);
  const base = { uptimeSeconds: 100, atMs: 0 };
  // 10.9 s later the router may report 110 (rounded down from 110.9): not a reboot.
  assert.equal(rebootedSince(base, { uptimeSeconds: 109, sentAtMs: 10_400 }), false);
  assert.equal(rebootedSince(base, { uptimeSeconds: 110, sentAtMs: 10_900 }), false);
  // Rebooted 8 s ago: uptime 8 after 20 s.
  assert.equal(rebootedSince(base, { uptimeSeconds: 8, sentAtMs: 20_000 }), true);
});

void test('uptime that went back is a reboot whatever the times say', () => {
  assert.equal(rebootedSince({ uptimeSeconds: 100, atMs: 5000 }, { uptimeSeconds: 99, sentAtMs: 5000 }), true);
});

void test('read latency can only hide a reboot, never invent one', () => {
  // The later read was sent at 10 s and answered 4 s later (a loaded machine): the router read
  // its uptime at 10 s or after, so 110 is what a running router shows. Timing the reply
  // instead (14 s) would have taken it for a reboot.
  assert.equal(rebootedSince({ uptimeSeconds: 100, atMs: 0 }, { uptimeSeconds: 110, sentAtMs: 10_000 }), false);
});

void test('no uptime before an action: its moment is the baseline, a router booted since shows less', () => {
  const acted = { uptimeSeconds: 0, atMs: 1000 };
  assert.equal(rebootedSince(acted, { uptimeSeconds: 3, sentAtMs: 8000 }), true);
  assert.equal(rebootedSince(acted, { uptimeSeconds: 0, sentAtMs: 2000 }), false, 'too soon to tell');
});
