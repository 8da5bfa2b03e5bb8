// Clock sync detection with injected probes: only the kernel's own state counts (timedatectl's
// NTPSynchronized, or adjtimex without systemd), which `date -s` resets; every failure means
// unsynchronized, and the assume-* modes never probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjtimexSynchronized, createWallClock, probeSystemClockSync } from '../../src/time/wall-clock.js';
import type { SyncProbes } from '../../src/time/wall-clock.js';

function probes(outputs: Record<string, string | undefined>): SyncProbes & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: (command) => {
      calls.push(command);
      return Promise.resolve(outputs[command]);
    },
  };
}

/** `adjtimex --print` as the Debian tool prints it. */
function adjtimexOutput(status: number, maxerror: number): string {
  return (
    `         mode: 0\n       offset: 0\n    frequency: 0\n     maxerror: ${maxerror}\n     esterror: 0\n` +
    `       status: ${status}\ntime_constant: 7\n    precision: 1\n return value = 0\n`
  );
}

void test('timedatectl NTPSynchronized (the kernel state timedated reads) decides when it answers', async () => {
  assert.equal(await probeSystemClockSync(probes({ timedatectl: 'yes\n' })), true);
  // After `date -s` the kernel says unsynchronized: nothing else overrules it.
  const p = probes({ timedatectl: 'no\n', adjtimex: adjtimexOutput(0, 1000) });
  assert.equal(await probeSystemClockSync(p), false);
  assert.deepEqual(p.calls, ['timedatectl']);
});

void test('without timedatectl, adjtimex: STA_UNSYNC clear and a small maxerror mean synchronized', async () => {
  assert.equal(await probeSystemClockSync(probes({ adjtimex: adjtimexOutput(0x2001, 250_000) })), true);
  // What `date -s` leaves: STA_UNSYNC set, maxerror at its limit.
  assert.equal(await probeSystemClockSync(probes({ adjtimex: adjtimexOutput(0x0040, 16_000_000) })), false);
  assert.equal(adjtimexSynchronized(adjtimexOutput(0, 16_000_000)), false, 'maxerror at 16 s is not synchronized');
  assert.equal(adjtimexSynchronized('garbage'), undefined);
});

void test("timesyncd's flag file and chrony are not evidence: no kernel reading means unsynchronized", async () => {
  assert.equal(await probeSystemClockSync(probes({ chronyc: 'Leap status     : Normal\n' })), false);
  assert.equal(await probeSystemClockSync(probes({ timedatectl: 'maybe\n', adjtimex: 'garbage' })), false);
  assert.equal(await probeSystemClockSync(probes({})), false);
});

void test('assume-synced and assume-unsynced never probe; systemd mode uses the probes', async () => {
  const p = probes({ timedatectl: 'yes' });
  assert.equal(await createWallClock('assume-synced', { probes: p }).isSynchronized(), true);
  assert.equal(await createWallClock('assume-unsynced', { probes: p }).isSynchronized(), false);
  assert.deepEqual(p.calls, []);
  assert.equal(await createWallClock('systemd', { probes: p, now: () => 42 }).isSynchronized(), true);
  assert.equal(createWallClock('systemd', { now: () => 42 }).now(), 42);
});
