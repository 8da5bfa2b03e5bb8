// Clock sync detection with injected probes: any one time service saying "synced" is enough,
// every failure means unsynchronized, and the assume-* modes never probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMESYNCD_FLAG, createWallClock, probeSystemClockSync } from '../../src/time/wall-clock.js';
import type { SyncProbes } from '../../src/time/wall-clock.js';

function probes(files: string[], outputs: Record<string, string | undefined>): SyncProbes & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fileExists: (path) => Promise.resolve(files.includes(path)),
    run: (command) => {
      calls.push(command);
      return Promise.resolve(outputs[command]);
    },
  };
}

void test('systemd-timesyncd flag file means synchronized without running anything', async () => {
  const p = probes([TIMESYNCD_FLAG], {});
  assert.equal(await probeSystemClockSync(p), true);
  assert.deepEqual(p.calls, []);
});

void test('timedatectl NTPSynchronized=yes, or chrony with a normal leap status, means synchronized', async () => {
  assert.equal(await probeSystemClockSync(probes([], { timedatectl: 'yes\n' })), true);
  assert.equal(await probeSystemClockSync(probes([], { timedatectl: 'no\n', chronyc: 'Reference ID    : C0A80001\nLeap status     : Normal\n' })), true);
});

void test('no, not synchronised, missing tools or errors all mean unsynchronized', async () => {
  assert.equal(await probeSystemClockSync(probes([], { timedatectl: 'no\n', chronyc: 'Leap status     : Not synchronised\n' })), false);
  assert.equal(await probeSystemClockSync(probes([], {})), false);
});

void test('assume-synced and assume-unsynced never probe; systemd mode uses the probes', async () => {
  const p = probes([], { timedatectl: 'yes' });
  assert.equal(await createWallClock('assume-synced', { probes: p }).isSynchronized(), true);
  assert.equal(await createWallClock('assume-unsynced', { probes: p }).isSynchronized(), false);
  assert.deepEqual(p.calls, []);
  assert.equal(await createWallClock('systemd', { probes: p, now: () => 42 }).isSynchronized(), true);
  assert.equal(createWallClock('systemd', { now: () => 42 }).now(), 42);
});
