import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForReboot } from '../../src/agent/reboot-wait.js';

/** A scripted router: each read answers per the function of the virtual time. */
function scripted(uptimeAt: (t: number) => number | undefined) {
  let t = 0;
  const reader = {
    readResource: () => {
      const up = uptimeAt(t);
      return up === undefined
        ? Promise.reject(new Error('ECONNREFUSED'))
        : Promise.resolve({ uptimeSeconds: Math.floor(up), version: '', boardName: '', architecture: '' });
    },
  };
  return { reader, now: () => t, sleep: (ms: number) => ((t += ms), Promise.resolve()) };
}

void test('a power cut: down, then back with a small uptime, is a reboot', async () => {
  // Up 2 s before; off from t=0 to 2500, boots 2000 ms, then uptime counts from t=4500.
  const r = scripted((t) => (t < 4500 ? undefined : (t - 4500) / 1000));
  const result = await waitForReboot(r.reader, {
    uptimeBefore: { seconds: 2, atMonoMs: 0 },
    timeoutMs: 30_000,
    now: r.now,
    sleep: r.sleep,
  });
  assert.deepEqual({ back: result.back, rebooted: result.back && result.rebooted }, { back: true, rebooted: true });
});

void test('a button press: the router answers unchanged for a while, then reboots', async () => {
  const r = scripted((t) => (t < 3000 ? 100 + t / 1000 : t < 6000 ? undefined : (t - 6000) / 1000));
  const result = await waitForReboot(r.reader, {
    uptimeBefore: { seconds: 100, atMonoMs: 0 },
    timeoutMs: 30_000,
    now: r.now,
    sleep: r.sleep,
  });
  assert.ok(result.back && result.rebooted);
  assert.ok(result.waitedMs >= 6000);
});

void test('answering until the timeout without uptime going back is "did not reboot"', async () => {
  const r = scripted((t) => 100 + t / 1000);
  const result = await waitForReboot(r.reader, {
    uptimeBefore: { seconds: 100, atMonoMs: 0 },
    timeoutMs: 10_000,
    now: r.now,
    sleep: r.sleep,
  });
  assert.deepEqual(result.back && result.rebooted, false);
});

void test('never answering is "not back"', async () => {
  const r = scripted(() => undefined);
  const result = await waitForReboot(r.reader, {
    uptimeBefore: { seconds: 100, atMonoMs: 0 },
    timeoutMs: 10_000,
    now: r.now,
    sleep: r.sleep,
  });
  assert.equal(result.back, false);
});

void test('each failed poll asks the client to retry now instead of waiting out its backoff', async () => {
  const r = scripted((t) => (t < 2000 ? undefined : t / 1000 - 2));
  let retries = 0;
  const reader = { ...r.reader, retryNow: () => void retries++ };
  const result = await waitForReboot(reader, {
    uptimeBefore: { seconds: 100, atMonoMs: 0 },
    timeoutMs: 30_000,
    pollMs: 250,
    now: r.now,
    sleep: r.sleep,
  });
  assert.ok(result.back && result.rebooted);
  assert.equal(retries, 8, 'one per failed poll (t = 0, 250, ..., 1750)');
});
