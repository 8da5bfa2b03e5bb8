// End to end with a Shelly Gen2+ plug driven by RPC over MQTT on the site broker: the
// simulated Shelly (requests on <prefix>/rpc, answers on <src>/rpc) feeds the simulated
// router and times the cut itself with toggle_after. A signed request ends verified; a daemon
// SIGKILLed mid-cut leaves the power to the plug, which restores it at the planned time.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ShellySim } from '../../src/actuators/shelly-sim.js';
import type { SimulatedSite } from '../../src/demo/site.js';
import { assertRestoredOnTime, brokerFirst, changeRequest, killMidCut, startDeviceTimedSite } from './device-timed.js';
import { E2E } from './harness.js';

const OFF_MS = 3000;
const PREFIX = 'shellyplusplugs-hap1';

async function startShellySite(t: TestContext): Promise<{ e2e: E2E; plug: ShellySim }> {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await brokerFirst(e2e);
  const plug = new ShellySim({
    mqtt: { brokerUrl: e2e.broker.url, topicPrefix: PREFIX },
    onSwitch: (_id, on) => (e2e.site as SimulatedSite | undefined)?.router.setPower(on),
  });
  t.after(() => plug.stop());
  await plug.start();
  plug.outputs[0] = true; // plugged in and on
  const power = { driver: 'shelly', broker: { url: e2e.broker.url }, topicPrefix: PREFIX, wiring: 'outlet' };
  await startDeviceTimedSite(e2e, power, OFF_MS);
  return { e2e, plug };
}

void test('Shelly over MQTT on the site broker: signed request, the plug times the cut, verified', async (t) => {
  const { e2e, plug } = await startShellySite(t);
  const requestId = await changeRequest(e2e);
  const final = await e2e.finalAnswer(requestId, 60_000);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  assert.equal(e2e.powerCuts, 1);
  assert.deepEqual(
    plug.switches.map((s) => [s.output, s.by]),
    [
      [false, 'command'],
      [true, 'device'],
    ],
  );
  const sets = plug.calls.filter((c) => c.method === 'Switch.Set').map((c) => c.params);
  assert.deepEqual(
    sets,
    [{ id: 0, on: false, toggle_after: OFF_MS / 1000 }],
    'one Switch.Set; the plug switched back on by itself',
  );
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
});

void test('Shelly over MQTT: the daemon SIGKILLed mid-cut; the plug restores power on time, no release', async (t) => {
  const { e2e, plug } = await startShellySite(t);
  await killMidCut(e2e, t, 'plug');
  assertRestoredOnTime(e2e, plug.switches, 'device', OFF_MS);
});
