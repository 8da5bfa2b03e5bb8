// Clock sync detection with injected probes: only the kernel's own state counts (timedatectl's
// NTPSynchronized, or adjtimex without systemd), which `date -s` resets; every failure means
// unsynchronized, and the assume-* modes never probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adjtimexSynchronized,
  createWallClock,
  keptSyncAnswer,
  probeSystemClockSync,
  SYNC_ANSWER_MS,
  SYNC_REFRESH_MS,
  SYNC_STEP_MS,
} from '../../src/time/wall-clock.js';
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

/** Wall and monotonic clocks the test moves: together (time passing) or the wall alone (a step). */
function clocks() {
  const c = { wall: 1_700_000_000_000, mono: 1000 };
  return {
    c,
    wall: () => c.wall,
    mono: () => c.mono,
    pass: (ms: number) => {
      c.wall += ms;
      c.mono += ms;
    },
  };
}

void test('systemd mode keeps the answer: one probe per minute, not one per message', async () => {
  const p = probes({ timedatectl: 'yes\n' });
  const t = clocks();
  const clock = createWallClock('systemd', { probes: p, now: t.wall, mono: t.mono });
  assert.equal(await clock.isSynchronized(), true);
  t.pass(SYNC_REFRESH_MS - 1);
  assert.equal(await clock.isSynchronized(), true);
  assert.deepEqual(p.calls, ['timedatectl'], 'answered from the kept answer');
  // Older than the refresh age: still answered at once, and probed again in the background.
  t.pass(1);
  assert.equal(await clock.isSynchronized(), true);
  assert.equal(p.calls.length, 2);
  await new Promise((resolve) => setImmediate(resolve)); // the background probe has answered
  // Concurrent callers share one probe.
  t.pass(SYNC_ANSWER_MS);
  await Promise.all([clock.isSynchronized(), clock.isSynchronized(), clock.isSynchronized()]);
  assert.equal(p.calls.length, 3);
});

void test('a step of the wall clock (date -s) voids the kept answer: the next call probes again', async () => {
  const outputs: Record<string, string> = { timedatectl: 'yes\n' };
  const p = probes(outputs);
  const t = clocks();
  const clock = createWallClock('systemd', { probes: p, now: t.wall, mono: t.mono });
  assert.equal(await clock.isSynchronized(), true);
  // Slewing moves the wall clock a little against the monotonic one: the answer stands.
  t.c.wall += SYNC_STEP_MS;
  assert.equal(await clock.isSynchronized(), true);
  assert.equal(p.calls.length, 1);
  // `date -s` steps it, and the kernel now says unsynchronized: seen at once, not a minute later.
  outputs.timedatectl = 'no\n';
  t.c.wall -= 3 * 3600_000;
  assert.equal(await clock.isSynchronized(), false);
  assert.equal(p.calls.length, 2);
  // An answer past its minute is never given: the call waits for a new probe.
  outputs.timedatectl = 'yes\n';
  t.pass(SYNC_ANSWER_MS);
  assert.equal(await clock.isSynchronized(), true);
});

void test('a probe that fails is not kept as an answer; the next call probes again', async () => {
  let calls = 0;
  const t = clocks();
  const isSynchronized = keptSyncAnswer(
    () => (++calls === 1 ? Promise.reject(new Error('spawn EAGAIN')) : Promise.resolve(true)),
    t,
  );
  await assert.rejects(isSynchronized(), /EAGAIN/);
  assert.equal(await isSynchronized(), true);
  assert.equal(calls, 2);
});
