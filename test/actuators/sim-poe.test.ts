import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedRouter } from '../../src/sim/index.js';
import { RouterConnection } from '../../src/routeros/connection.js';
import { Secret } from '../../src/config/secret.js';
import { poeActuatorSchema, simActuatorSchema } from '../../src/config/actuator-schema.js';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorUnavailableError, PressTooLongError } from '../../src/actuators/errors.js';
import { silentLogger } from '../../src/log/logger.js';

const logger = silentLogger();
// Quick but realistic: a blip under 1 s is not a cold boot; the reboot starts 1 s after a confirming press.
const routerTiming = { bootMs: 500, shutdownMs: 1000, minOffMs: 1000 };

/** A PoE switch whose ether5 powers a router, both simulated, both on real API ports. */
async function poeSite(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-poe-'));
  writeFileSync(join(dir, 'switch.pw'), 'sw-secret\n');
  const sw = new SimulatedRouter({
    model: 'CRS328-24P',
    identity: 'switch',
    password: 'sw-secret',
    controlPort: false,
  });
  const router = new SimulatedRouter({ identity: 'router', timing: routerTiming, controlPort: false });
  await sw.start();
  await router.start();
  sw.poe?.attach('ether5', router);
  const power: Array<{ on: boolean; cold?: boolean }> = [];
  router.on('power', (e: { on: boolean; cold?: boolean }) => power.push(e));
  t.after(async () => {
    await router.stop();
    await sw.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = (extra: object) =>
    poeActuatorSchema.parse({
      driver: 'routeros-poe',
      switch: { host: '127.0.0.1', port: sw.apiPort, username: 'admin', password: { file: join(dir, 'switch.pw') } },
      interface: 'ether5',
      timing: { offMs: 2000, offMinMs: 1000 },
      ...extra,
    });
  return { sw, router, power, config };
}

void test('routeros-poe power-cycle: the router on the port really goes down, cold-boots and comes back', async (t) => {
  const { sw, router, power, config } = await poeSite(t);
  const actuator = createActuator(config({ method: 'power-cycle' }), { logger, name: 'router/power' });
  await actuator.start();
  const booted = once(router, 'booted');
  const report = await actuator.powerCycle(2000);
  await booted;
  assert.deepEqual(
    power.map((p) => p.on),
    [false, true],
  );
  assert.equal(power[1]?.cold, true);
  assert.equal(router.booted, true);
  assert.equal(sw.poe?.status('ether5'), 'powered-on');
  assert.equal(report.edges[0]?.edge, 'power-off');
  assert.match(report.edges[1]?.edge ?? '', /^poe-out-status:(power-cycle|powered-on)$/);
  assert.equal(report.edges.at(-1)?.edge, 'power-on');
  assert.deepEqual(router.faults, []);
  await actuator.stop();
});

void test('routeros-poe poe-out: off for the off time, then auto-on; start turns a port left off on', async (t) => {
  const { sw, router, power, config } = await poeSite(t);
  sw.poe?.set('ether5', 'off'); // a crash mid-cycle left the port off
  assert.equal(router.powered, false);
  const actuator = createActuator(config({ method: 'poe-out' }), { logger });
  await actuator.start();
  assert.equal(router.powered, true, 'start-up restored power');
  const report = await actuator.powerCycle(1500);
  assert.deepEqual(
    report.edges.map((e) => e.edge),
    ['power-off', 'poe-out-status:off', 'power-on'],
  );
  const off = (report.edges[2]?.monoMs ?? 0) - (report.edges[0]?.monoMs ?? 0);
  assert.ok(off >= 1500 && off < 6000, `off ${off} ms`);
  assert.deepEqual(
    power.map((p) => p.on),
    [false, true, false, true],
  );
  assert.equal(sw.poe?.poeOut('ether5'), 'auto-on');
  await actuator.stop();
});

/** Starts a device-mode change on its own connection; it stays pending until confirmed. */
async function requestChange(router: SimulatedRouter): Promise<void> {
  const connection = new RouterConnection(
    { host: '127.0.0.1', port: router.apiPort, username: 'admin', password: new Secret('', 'test') },
    logger,
  );
  await connection.open();
  const requested = once(router, 'update-requested');
  connection
    .command(['/system/device-mode/update', '=container=yes', '=activation-timeout=5m'], { timeoutMs: 0 })
    .catch(() => undefined);
  await requested;
}

void test('sim actuator: a press at its maximum confirms a change, ends before the reboot; no fault', async (t) => {
  const router = new SimulatedRouter({ timing: routerTiming });
  await router.start();
  t.after(() => router.stop());
  const config = simActuatorSchema.parse({
    driver: 'sim',
    url: `http://127.0.0.1:${router.controlPort}`,
    timing: { pressMaxMs: 800 },
  });
  const actuator = createActuator(config, { logger, name: 'router/button' });
  await actuator.start();
  await assert.rejects(actuator.press(5000), PressTooLongError);
  await requestChange(router);
  const buttons: boolean[] = [];
  router.on('button', (e: { down: boolean }) => buttons.push(e.down));
  const booted = once(router, 'booted');
  const report = await actuator.press(800);
  await booted;
  assert.deepEqual(buttons, [true, false]);
  assert.equal(report.effectiveMs, 800);
  assert.equal(router.deviceMode.features.container, true, 'the change was confirmed');
  assert.deepEqual(router.faults, [], 'the button was never held while the router booted');
  await actuator.stop();
});

void test('sim actuator: a power cycle longer than the cold-boot minimum confirms a change', async (t) => {
  const router = new SimulatedRouter({ timing: routerTiming });
  await router.start();
  t.after(() => router.stop());
  const actuator = createActuator(
    simActuatorSchema.parse({
      driver: 'sim',
      url: `http://127.0.0.1:${router.controlPort}`,
      timing: { offMs: 1500, offMinMs: 1000 },
    }),
    {
      logger,
    },
  );
  await actuator.start();
  await requestChange(router);
  const booted = once(router, 'booted');
  const report = await actuator.powerCycle();
  await booted;
  assert.deepEqual(
    report.edges.map((e) => e.edge),
    ['power-off', 'power-on'],
  );
  assert.equal(router.deviceMode.features.container, true);
  assert.deepEqual(router.faults, []);
  await actuator.stop();
});

void test('routeros-poe: a wrong switch password is an ActuatorUnavailableError naming the switch', async (t) => {
  const { config } = await poeSite(t);
  const bad = config({});
  const actuator = createActuator(
    { ...bad, switch: { ...bad.switch, password: new Secret('wrong', 'test') } },
    { logger },
  );
  await assert.rejects(
    actuator.start(),
    (error: Error) =>
      error instanceof ActuatorUnavailableError &&
      /PoE switch 127\.0\.0\.1: .*invalid user name or password/.test(error.message),
  );
});
