// Shelly Gen2+ over its RPC (HTTP, and MQTT through mosquitto) against ShellySim (Switch.Set with toggle_after run by
// the
// device's own timer, Switch.GetStatus, SHA-256 digest authentication).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from '../../src/actuators/errors.js';
import { ShellySim, type ShellySimOptions } from '../../src/actuators/shelly-sim.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { silentLogger } from '../../src/log/logger.js';
import mqtt from 'mqtt';
import { Mosquitto } from '../helpers/mosquitto.js';
import type { Actuator } from '../../src/actuators/types.js';

const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-shelly-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'good'), 'device-pw\n');
writeFileSync(join(dir, 'bad'), 'wrong\n');

async function device(t: TestContext, options: ShellySimOptions = {}): Promise<ShellySim> {
  const sim = new ShellySim(options);
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

function actuator(t: TestContext, sim: ShellySim, extra: Record<string, unknown>): Actuator {
  const config = actuatorSchema.parse({
    driver: 'shelly',
    url: sim.url,
    timing: { offMs: 1500, offMinMs: 1000 },
    timeoutMs: 1000,
    ...extra,
  });
  const a = createActuator(config, { logger: silentLogger(), name: 'test/power' });
  t.after(() => a.stop());
  return a;
}

void test('a Plus Plug (outlet): one Switch.Set with toggle_after, turns back on by itself, digest auth', async (t) => {
  const sim = await device(t, { password: 'device-pw' });
  const power = actuator(t, sim, { wiring: 'outlet', password: { file: join(dir, 'good') } });
  await power.start();
  const report = await power.powerCycle();
  const sets = sim.calls.filter((c) => c.method === 'Switch.Set').map((c) => c.params);
  assert.deepEqual(sets, [
    { id: 0, on: true },
    { id: 0, on: false, toggle_after: 1.5 },
  ]);
  assert.deepEqual(
    sim.switches.map((s) => [s.output, s.by]),
    [
      [true, 'command'],
      [false, 'command'],
      [true, 'device'],
    ],
  );
  assert.equal(report.device?.plannedOffMs, 1500);
  assert.equal(report.device?.onTime, true);
  assert.match(
    report.edges.map((e) => e.edge).join(' '),
    /^cycle-sent outlet-off-read-back outlet-on-by-device-after-\d+ms outlet-on-confirmed$/,
  );
});

void test('normally-closed on switch 1: on with toggle_after, the device drops it; switch 0 untouched', async (t) => {
  const sim = await device(t, { switches: 2 });
  const power = actuator(t, sim, { wiring: 'normally-closed', switchId: 1 });
  await power.start();
  await power.powerCycle(2000);
  assert.deepEqual(
    sim.switches.map((s) => [s.id, s.output, s.by]),
    [
      [1, true, 'command'],
      [1, false, 'device'],
    ],
  );
  assert.deepEqual(sim.outputs, [false, false]);
});

void test('a wrong password or a missing switch fails clearly; nothing switched', async (t) => {
  const sim = await device(t, { password: 'device-pw' });
  await assert.rejects(
    actuator(t, sim, { wiring: 'outlet', password: { file: join(dir, 'bad') } }).start(),
    ActuatorUnavailableError,
  );
  await assert.rejects(actuator(t, sim, { wiring: 'outlet' }).start(), /authentication required/);
  const open = await device(t);
  await assert.rejects(
    actuator(t, open, { wiring: 'outlet', switchId: 3 }).start(),
    (e: unknown) => e instanceof ActuatorProtocolError && /-105/.test(e.message),
  );
  assert.deepEqual(sim.switches, []);
  assert.deepEqual(open.switches, []);
});

// RPC over MQTT: the same driver through a real mosquitto, against the simulator in MQTT mode.
const mqttBroker = new Mosquitto();
before(() => mqttBroker.start());
after(() => mqttBroker.dispose());

async function mqttDevice(t: TestContext, topicPrefix: string, switches = 1): Promise<ShellySim> {
  const sim = new ShellySim({ mqtt: { brokerUrl: mqttBroker.url, topicPrefix }, switches });
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

function mqttActuator(t: TestContext, topicPrefix: string, extra: Record<string, unknown> = {}): Actuator {
  const config = actuatorSchema.parse({
    driver: 'shelly',
    broker: { url: mqttBroker.url },
    topicPrefix,
    timing: { offMs: 1500, offMinMs: 1000 },
    timeoutMs: 1000,
    ...extra,
  });
  const a = createActuator(config, { logger: silentLogger(), name: 'test/power' });
  t.after(() => a.stop());
  return a;
}

void test('over MQTT: <prefix>/rpc in, <src>/rpc out; one Switch.Set with toggle_after, device-timed', async (t) => {
  const sim = await mqttDevice(t, 'shellyplusplugs-a1');
  sim.outputs[0] = true;
  const seen: Array<{ topic: string; frame: { src?: string; method?: string } }> = [];
  const spy = await mqtt.connectAsync(mqttBroker.url);
  t.after(() => spy.endAsync(true));
  spy.on('message', (topic, payload) =>
    seen.push({ topic, frame: JSON.parse(payload.toString()) as { src?: string } }),
  );
  await spy.subscribeAsync('#');
  const power = mqttActuator(t, 'shellyplusplugs-a1', { wiring: 'outlet' });
  await power.start();
  const report = await power.powerCycle();
  assert.deepEqual(
    sim.calls.filter((c) => c.method === 'Switch.Set').map((c) => c.params),
    [{ id: 0, on: false, toggle_after: 1.5 }],
  );
  assert.deepEqual(
    sim.switches.map((s) => [s.output, s.by]),
    [
      [false, 'command'],
      [true, 'device'],
    ],
  );
  assert.equal(report.device?.plannedOffMs, 1500);
  assert.equal(report.device?.onTime, true);
  const request = seen.find((m) => m.topic === 'shellyplusplugs-a1/rpc' && m.frame.method === 'Switch.Set');
  assert.match(request?.frame.src ?? '', /^dmconfirm-[0-9a-f]{12}$/);
  assert.ok(
    seen.some((m) => m.topic === `${request!.frame.src}/rpc`),
    'the answer came on <src>/rpc',
  );
  assert.ok(
    seen.some((m) => m.topic === 'shellyplusplugs-a1/events/rpc'),
    'the device notified its status',
  );
});

void test('over MQTT: two agents on one broker get their own answers; a wrong prefix or switch fails', async (t) => {
  const sim = await mqttDevice(t, 'shellyplus2pm-b2', 2);
  sim.outputs[0] = true;
  const a = mqttActuator(t, 'shellyplus2pm-b2', { wiring: 'outlet' });
  const b = mqttActuator(t, 'shellyplus2pm-b2', { wiring: 'normally-closed', switchId: 1 });
  await Promise.all([a.start(), b.start()]);
  await Promise.all([a.powerCycle(), b.powerCycle()]);
  assert.deepEqual(sim.outputs, [true, false]);
  await assert.rejects(
    mqttActuator(t, 'no-such-device', { wiring: 'outlet' }).start(),
    (e: Error) => e instanceof ActuatorUnavailableError && /no answer within 1000 ms/.test(e.message),
  );
  await assert.rejects(
    mqttActuator(t, 'shellyplus2pm-b2', { wiring: 'outlet', switchId: 5 }).start(),
    (e: Error) => e instanceof ActuatorProtocolError && /-105/.test(e.message),
  );
});

void test('config: url or broker + topicPrefix, one of them; no device password over MQTT', () => {
  const base = { driver: 'shelly', wiring: 'outlet' };
  assert.equal(actuatorSchema.safeParse({ ...base }).success, false);
  assert.equal(
    actuatorSchema.safeParse({
      ...base,
      url: 'http://192.0.2.60',
      broker: { url: 'mqtt://127.0.0.1' },
      topicPrefix: 'p',
    }).success,
    false,
  );
  assert.match(
    JSON.stringify(actuatorSchema.safeParse({ ...base, broker: { url: 'mqtt://127.0.0.1' } }).error?.issues),
    /topicPrefix/,
  );
  assert.equal(
    actuatorSchema.safeParse({
      ...base,
      broker: { url: 'mqtt://127.0.0.1' },
      topicPrefix: 'p',
      password: { file: join(dir, 'good') },
    }).success,
    false,
  );
  assert.equal(
    actuatorSchema.safeParse({ ...base, broker: { url: 'mqtt://127.0.0.1' }, topicPrefix: 'shellyplus1-x' }).success,
    true,
  );
});
