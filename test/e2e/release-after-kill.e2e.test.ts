// systemd's ExecStopPost runs `dmconfirm actuator release` after the daemon exits for any
// reason. Here the real daemon is SIGKILLed with the button held or the power cut, both of
// which outlive the process on the simulator (as on a PDU, a PoE port or a latching relay),
// and the release command puts them back at once, without the agent, its state or MQTT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/mosquitto.js';
import { runCli } from '../actuators/fixtures/cli-run.js';
import { assertPhysicalSafe, daemon } from './fault-matrix.js';
import { E2E } from './harness.js';
import type { ChildProcess } from 'node:child_process';

// A confirming press reboots the simulated router shutdownMs later; a long shutdown keeps
// this test about the release, not a race with the boot.
const router = { timing: { bootMs: 2000, shutdownMs: 20_000, minOffMs: 1500 } };

async function killedWith(
  e2e: E2E,
  t: { after: (fn: () => void) => void },
  method: 'button' | 'power',
  engaged: () => boolean,
): Promise<void> {
  await e2e.stopAgent();
  const child = await daemon(e2e, t);
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method,
    activationTimeoutSeconds: 120,
  });
  await e2e.publish('request', jws);
  await waitFor(() => (engaged() ? true : undefined), `${method} engaged`, 30_000);
  child.kill('SIGKILL');
  assert.equal((await child.exited()).signal, 'SIGKILL');
  assert.ok(engaged(), 'the killed daemon left the actuator engaged');
}

async function release(e2e: E2E, t: { after: (fn: () => void) => void }): Promise<string> {
  const children = new Set<ChildProcess>();
  t.after(() => children.forEach((c) => c.kill('SIGKILL')));
  const result = await runCli(['actuator', 'release', '--config', e2e.site.configFile], children);
  assert.equal(result.code, 0, result.out + result.err);
  return result.out;
}

void test('killed with the button held: actuator release lets it go before the router reboots', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router, pressMs: 1000 });
  // Press long enough to kill inside it: the simulator stretches nothing, the press is 1 s.
  await killedWith(e2e, t, 'button', () => e2e.site.router.state().button.down);
  const out = await release(e2e, t);
  assert.match(out, /ok {6}hap1\/button \(sim\): button released/);
  assert.match(out, /ok {6}hap1\/power \(sim\): power on/);
  assertPhysicalSafe(e2e);
  assert.equal(e2e.presses, 1, 'released, not pressed again');
});

void test('killed with the power cut: actuator release restores it', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router, offMs: 20_000 });
  await killedWith(e2e, t, 'power', () => e2e.site.router.state().power === 'off');
  await release(e2e, t);
  assertPhysicalSafe(e2e);
  assert.equal(e2e.powerCuts, 1, 'one cut, by the daemon');
});

void test('actuator release: a bad config exits 2, an actuator that cannot be reached exits 1 naming it', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const children = new Set<ChildProcess>();
  t.after(() => children.forEach((c) => c.kill('SIGKILL')));
  const missing = await runCli(['actuator', 'release', '--config', `${e2e.site.dir}/nope.yaml`], children);
  assert.equal(missing.code, 2, missing.err);
  // The simulator gone: its control endpoint refuses, so nothing can be released.
  await e2e.site.router.stop();
  const gone = await runCli(['actuator', 'release', '--config', e2e.site.configFile], children);
  assert.equal(gone.code, 1, gone.out + gone.err);
  assert.match(gone.out, /FAILED {2}hap1\/button \(sim\): /);
  assert.match(gone.out, /FAILED {2}hap1\/power \(sim\): /);
});
