// The fleet bench's power cut must let the agent prove every reboot, also in a starved
// process (issue 12: `fleet_ops_ok` fell short with 500 agents per process, the misses
// "uptime kept counting"). The agent's own reboot wait (src/agent/reboot-wait.ts) runs
// against a router modelled as the simulator behaves: off for the actuator's off time, its
// uptime counting in whole seconds from the instant power returns, the API answering
// `bootMs` later; each read reaches the router `latencyMs` after the agent sent it. The
// uptime read before the cut timed out, so the baseline is the moment of the cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForReboot } from '../../src/agent/reboot-wait.js';
import { POWER_TIMING, TIMING } from '../../bench/fleet-spec.js';

async function provenAfterCut(offMs: number, latencyMs: number): Promise<boolean | undefined> {
  let t = offMs; // the wait starts once power is back (the actuator's release edge)
  const reader = {
    readResource: () => {
      t += latencyMs; // the router reads its uptime when the request arrives
      if (t < offMs + TIMING.bootMs) return Promise.reject(new Error('ECONNREFUSED'));
      const uptimeSeconds = Math.floor((t - offMs) / 1000);
      t += latencyMs; // and the answer takes as long back
      return Promise.resolve({ uptimeSeconds, version: '', boardName: '', architecture: '' });
    },
  };
  const result = await waitForReboot(reader, {
    uptimeBefore: { seconds: 0, atMonoMs: 0 },
    timeoutMs: 30_000,
    now: () => t,
    sleep: (ms) => ((t += ms), Promise.resolve()),
  });
  assert.equal(result.back, true);
  return result.back ? result.rebooted : undefined;
}

void test('the bench power cut proves the reboot even with reads 2 s late', async () => {
  for (const latencyMs of [0, 100, 250, 500, 750, 1000, 1500, 2000])
    assert.equal(await provenAfterCut(POWER_TIMING.offMs, latencyMs), true, `read latency ${latencyMs} ms`);
});

void test('the root cause: a 1 s cut leaves no margin once reads are half a second late', async () => {
  assert.equal(await provenAfterCut(1000, 0), true);
  for (const latencyMs of [500, 750, 1000])
    assert.equal(await provenAfterCut(1000, latencyMs), false, `read latency ${latencyMs} ms`);
});
