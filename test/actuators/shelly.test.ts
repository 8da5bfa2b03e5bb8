// Shelly Gen2+ over its HTTP RPC against ShellySim (Switch.Set with toggle_after run by the
// device's own timer, Switch.GetStatus, SHA-256 digest authentication).
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from '../../src/actuators/errors.js';
import { ShellySim, type ShellySimOptions } from '../../src/actuators/shelly-sim.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { silentLogger } from '../../src/log/logger.js';
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
  const config = actuatorSchema.parse({ driver: 'shelly', url: sim.url, timing: { offMs: 1500, offMinMs: 1000 }, timeoutMs: 1000, ...extra });
  const a = createActuator(config, { logger: silentLogger(), name: 'test/power' });
  t.after(() => a.stop());
  return a;
}

void test('a Plus Plug (outlet): one Switch.Set with toggle_after, the device switches back on, with digest auth', async (t) => {
  const sim = await device(t, { password: 'device-pw' });
  const power = actuator(t, sim, { wiring: 'outlet', password: { file: join(dir, 'good') } });
  await power.start();
  const report = await power.powerCycle();
  const sets = sim.calls.filter((c) => c.method === 'Switch.Set').map((c) => c.params);
  assert.deepEqual(sets, [{ id: 0, on: true }, { id: 0, on: false, toggle_after: 1.5 }]);
  assert.deepEqual(sim.switches.map((s) => [s.output, s.by]), [[true, 'command'], [false, 'command'], [true, 'device']]);
  assert.equal(report.device?.plannedOffMs, 1500);
  assert.equal(report.device?.onTime, true);
  assert.match(report.edges.map((e) => e.edge).join(' '), /^cycle-sent outlet-off-read-back outlet-on-by-device-after-\d+ms outlet-on-confirmed$/);
});

void test('normally-closed on switch 1: on with toggle_after, the device drops it; switch 0 untouched', async (t) => {
  const sim = await device(t, { switches: 2 });
  const power = actuator(t, sim, { wiring: 'normally-closed', switchId: 1 });
  await power.start();
  await power.powerCycle(2000);
  assert.deepEqual(sim.switches.map((s) => [s.id, s.output, s.by]), [[1, true, 'command'], [1, false, 'device']]);
  assert.deepEqual(sim.outputs, [false, false]);
});

void test('a wrong password or a missing switch fails clearly; nothing switched', async (t) => {
  const sim = await device(t, { password: 'device-pw' });
  await assert.rejects(actuator(t, sim, { wiring: 'outlet', password: { file: join(dir, 'bad') } }).start(), ActuatorUnavailableError);
  await assert.rejects(actuator(t, sim, { wiring: 'outlet' }).start(), /authentication required/);
  const open = await device(t);
  await assert.rejects(actuator(t, open, { wiring: 'outlet', switchId: 3 }).start(), (e: unknown) => e instanceof ActuatorProtocolError && /-105/.test(e.message));
  assert.deepEqual(sim.switches, []);
  assert.deepEqual(open.switches, []);
});
