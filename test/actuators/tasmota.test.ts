// Tasmota over MQTT through a real mosquitto: TasmotaSim answers like the firmware and runs
// PulseTime and Backlog/Delay by itself, so the device, not the agent, brings the power back.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from '../../src/actuators/errors.js';
import { pulseTimeFor } from '../../src/actuators/tasmota.js';
import { TasmotaSim, type TasmotaSimOptions } from '../../src/actuators/tasmota-sim.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Actuator } from '../../src/actuators/types.js';
import { Mosquitto } from '../helpers/mosquitto.js';

const broker = new Mosquitto();
before(() => broker.start());
after(() => broker.dispose());

let topics = 0;
async function device(t: TestContext, options: Partial<TasmotaSimOptions> = {}): Promise<TasmotaSim> {
  const sim = new TasmotaSim({ brokerUrl: broker.url, topic: `plug${++topics}`, ...options });
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

function actuator(t: TestContext, sim: TasmotaSim, extra: Record<string, unknown>): Actuator {
  const config = actuatorSchema.parse({
    driver: 'tasmota',
    broker: { url: broker.url },
    topic: sim.options.topic,
    timing: { offMs: 1500, offMinMs: 1000, offMaxMs: 20_000 },
    timeoutMs: 1000,
    ...extra,
  });
  const a = createActuator(config, { logger: silentLogger(), name: 'test/power' });
  t.after(() => a.stop());
  return a;
}

void test('PulseTime encoding: tenths up to 11.1 s, then seconds + 100', () => {
  assert.deepEqual(pulseTimeFor(1500), { value: 15, ms: 1500 });
  assert.deepEqual(pulseTimeFor(11_100), { value: 111, ms: 11_100 });
  assert.deepEqual(pulseTimeFor(12_000), { value: 112, ms: 12_000 });
  assert.deepEqual(pulseTimeFor(30_400), { value: 130, ms: 30_000 });
  assert.deepEqual(pulseTimeFor(20), { value: 1, ms: 100 });
});

void test('a smart plug (outlet wiring): one Backlog; the plug turns itself back on; timing read back', async (t) => {
  const sim = await device(t);
  const power = actuator(t, sim, { wiring: 'outlet' });
  await power.start();
  assert.equal(sim.relays[0], true, 'start switched the plug on');
  const report = await power.powerCycle();
  assert.deepEqual(
    sim.commands.filter((c) => c.payload !== '').map((c) => `${c.command} ${c.payload}`),
    ['Power1 1', 'Backlog Power1 0; Delay 15; Power1 1'],
  );
  assert.deepEqual(
    sim.switches.map((s) => [s.on, s.by]),
    [
      [true, 'command'],
      [false, 'command'],
      [true, 'device'],
    ],
  );
  const edges = report.edges.map((e) => e.edge);
  assert.deepEqual([edges[0], edges[1], edges.at(-1)], ['cycle-sent', 'outlet-off-read-back', 'outlet-on-confirmed']);
  assert.match(edges[2]!, /^outlet-on-by-device-after-\d+ms$/);
  assert.equal(report.device?.plannedOffMs, 1500);
  assert.equal(report.device?.onTime, true);
});

void test('a relay board, normally-closed on relay 2: PulseTime then Power 1; the relay drops by itself', async (t) => {
  const sim = await device(t, { relays: 2 });
  const power = actuator(t, sim, { wiring: 'normally-closed', relay: 2 });
  await power.start();
  assert.deepEqual(sim.relays, [false, false]);
  const report = await power.powerCycle(2000);
  assert.deepEqual(
    sim.commands.filter((c) => c.payload !== '').map((c) => `${c.command} ${c.payload}`),
    ['PulseTime2 20', 'Power2 1'],
  );
  assert.deepEqual(
    sim.switches.map((s) => [s.relay, s.on, s.by]),
    [
      [2, true, 'command'],
      [2, false, 'device'],
    ],
  );
  assert.equal(report.device?.plannedOffMs, 2000);
  assert.equal(sim.relays[0], false, 'relay 1 untouched');
});

void test('a device ignoring Power: the cut fails, never done; no device on the topic: unavailable', async (t) => {
  const stuck = await device(t, { stuck: true });
  stuck.relays[0] = true;
  const power = actuator(t, stuck, { wiring: 'outlet' });
  await power.start();
  await assert.rejects(power.powerCycle(), ActuatorProtocolError);
  assert.equal(stuck.relays[0], true);

  const nobody = actuator(t, new TasmotaSim({ brokerUrl: broker.url, topic: 'absent' }), {
    wiring: 'normally-closed',
    timeoutMs: 300,
  });
  await assert.rejects(nobody.start(), ActuatorUnavailableError);
});
