// End to end with a smart plug on the site broker: a simulated Tasmota plug, on the same
// mosquitto the agent uses, feeds the simulated router. The plug times the cut itself
// (Backlog Power 0; Delay; Power 1): a signed request ends verified, and a daemon SIGKILLed
// mid-cut leaves the power to the plug, which restores it at the planned time.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { TasmotaSim } from '../../src/actuators/tasmota-sim.js';
import type { SimulatedSite } from '../../src/demo/site.js';
import { assertRestoredOnTime, brokerFirst, changeRequest, killMidCut, startDeviceTimedSite } from './device-timed.js';
import { E2E } from './harness.js';

const OFF_MS = 3000;

async function startPlugSite(t: TestContext): Promise<{ e2e: E2E; plug: TasmotaSim }> {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await brokerFirst(e2e);
  const plug = new TasmotaSim({
    brokerUrl: e2e.broker.url,
    topic: 'plug-hap1',
    onSwitch: (_relay, on) => (e2e.site as SimulatedSite | undefined)?.router.setPower(on),
  });
  t.after(() => plug.stop());
  await plug.start();
  plug.relays[0] = true; // plugged in and on
  const power = { driver: 'tasmota', broker: { url: e2e.broker.url }, topic: 'plug-hap1', wiring: 'outlet' };
  await startDeviceTimedSite(e2e, power, OFF_MS);
  return { e2e, plug };
}

void test('Tasmota plug on the site broker: signed request, the plug times the cut, verified', async (t) => {
  const { e2e, plug } = await startPlugSite(t);
  const requestId = await changeRequest(e2e);
  const final = await e2e.finalAnswer(requestId, 60_000);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  assert.equal(e2e.powerCuts, 1);
  assert.deepEqual(
    plug.switches.map((s) => [s.on, s.by]),
    [
      [false, 'command'],
      [true, 'device'],
    ],
  );
  assert.deepEqual(
    plug.commands.filter((c) => c.payload !== '').map((c) => c.command),
    ['Backlog'],
  );
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
});

void test('Tasmota plug: the daemon SIGKILLed mid-cut; the plug restores power on time, no release', async (t) => {
  const { e2e, plug } = await startPlugSite(t);
  await killMidCut(e2e, t, 'plug');
  assertRestoredOnTime(e2e, plug.switches, 'device', OFF_MS);
});
