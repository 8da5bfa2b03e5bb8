import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { capabilitiesOf, planActuatorTest } from '../../src/actuators/plan.js';
import { LcusDevice } from './fixtures/serial-devices.js';
import { NO_SOCAT, runCli, withPtyDevice } from './fixtures/cli-run.js';
import { SimulatedRouter } from '../../src/sim/index.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { ifAgentDies } from '../../src/actuators/timed-by.js';

const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-cli-'));
writeFileSync(join(dir, 'router.pw'), 'pw\n');
writeFileSync(join(dir, 'trust.json'), '{}');
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function configText(actuators: string, methods = '[power, button]'): string {
  return `
agent: { id: a1, site: s1, trustRoot: trust.json }
mqtt: { url: "mqtt://127.0.0.1:1883" }
routers:
  - name: r1
    host: 127.0.0.1
    username: admin
    password: { file: router.pw }
    methods: ${methods}
    actuators:
${actuators}
`;
}

const gpioActuators = `      power: { driver: gpio, pin: 17, wiring: normally-closed, timing: { offMs: 8000 } }
      button: { driver: gpio, pin: 27, wiring: normally-open }`;

function router(actuators = gpioActuators, methods?: string) {
  const { config } = parseConfigText(configText(actuators, methods), join(dir, 'agent.yaml'), {});
  const r = config.routers[0];
  assert.ok(r);
  return r;
}

void test('plan: power cycle through an NC GPIO relay, default off time', () => {
  const plan = planActuatorTest(router(), 'power-cycle', undefined);
  assert.deepEqual(plan.steps, [
    'power-cycle router r1 through GPIO17 relay (active-low, normally-closed, backend auto)',
    'start: force the router powered',
    'energize relay: router power OFF',
    'wait 8000 ms (bounds 2000..60000 ms)',
    'de-energize relay: router power ON (always, even on error or Ctrl-C)',
    'stop: release and close',
    'if the agent dies mid-cut: host-timed: the relay stays energized (router unpowered); ' +
      'needs `dmconfirm actuator release` (systemd ExecStopPost runs it)',
  ]);
});

void test('plan: the default action is the first allowed method', () => {
  assert.equal(planActuatorTest(router(gpioActuators, '[button]'), undefined, undefined).action, 'press');
  assert.equal(planActuatorTest(router(), undefined, undefined).action, 'power-cycle');
});

void test('plan: a short press is lengthened and says so; a long one is refused', () => {
  assert.equal(planActuatorTest(router(), 'press', 20).steps[3], 'wait 100 ms (requested 20 ms, clamped to 100..1000)');
  assert.throws(() => planActuatorTest(router(), 'press', 1500), /exceeds the safe maximum of 1000 ms/);
});

void test('plan: PDU wording and a missing actuator', () => {
  const wti = router(`      power: { driver: wti, path: /dev/ttyUSB0, plug: router, method: boot }`, '[power]');
  assert.equal(
    planActuatorTest(wti, 'power-cycle', undefined).steps[2],
    '/BOOT router,y (the PDU times the off period)',
  );
  assert.throws(() => planActuatorTest(wti, 'press', undefined), /no button actuator/);
});

function cli(args: string[], input = ''): ReturnType<typeof runCli> {
  return runCli(args, children, input);
}

void test('CLI: --dry-run prints the plan and touches nothing; without --yes or a "yes", nothing happens', async () => {
  const file = join(dir, 'gpio.yaml');
  writeFileSync(file, configText(gpioActuators));
  const dry = await cli(['actuator', 'test', '--config', file, '--router', 'r1', '--press', '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /1\. press router r1 through GPIO27/);
  assert.match(dry.out, /dry run: nothing touched/);
  const unknown = await cli(['actuator', 'test', '--config', file, '--router', 'nope', '--dry-run']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no router "nope"/);
  const declined = await cli(['actuator', 'test', '--config', file, '--router', 'r1', '--press'], 'no\n');
  assert.equal(declined.code, 1);
  assert.match(declined.out, /Type "yes" to go ahead/);
  assert.match(declined.err, /not confirmed; nothing done/);
  assert.doesNotMatch(declined.out, /starting/);
});

void test(
  'CLI: one real power cycle through an LCUS board on a socat pty, edges printed',
  { skip: NO_SOCAT },
  async () => {
    const board = new LcusDevice();
    await withPtyDevice(dir, 'lcus', board, children, async (host) => {
      const file = join(dir, 'lcus.yaml');
      writeFileSync(
        file,
        configText(`      power: { driver: lcus, path: ${host}, wiring: normally-closed }`, '[power]'),
      );
      const run = await cli([
        'actuator',
        'test',
        '--config',
        file,
        '--router',
        'r1',
        '--power-cycle',
        '--ms',
        '2000',
        '--yes',
      ]);
      assert.equal(run.code, 0, run.err + run.out);
      assert.match(run.out, /Z {2}power-off\n.*Z {2}power-on\n/);
      assert.match(run.out, /done: power-cycle of 2000 ms, measured \d+ ms/);
      assert.deepEqual(
        board.events.map((e) => e.on),
        [false, true, false, false],
      ); // start, off, on, stop
    });
  },
);

void test('capabilities follow the wiring and the driver', () => {
  const r = router();
  assert.ok(r.actuators.power && r.actuators.button);
  assert.deepEqual(capabilitiesOf(r.actuators.power), { press: false, powerCycle: true });
  assert.deepEqual(capabilitiesOf(r.actuators.button), { press: true, powerCycle: false });
});

void test('CLI: Ctrl-C during a power cycle lets the release finish before exiting', { skip: NO_SOCAT }, async () => {
  const board = new LcusDevice();
  await withPtyDevice(dir, 'int', board, children, async (host) => {
    const file = join(dir, 'int.yaml');
    writeFileSync(file, configText(`      power: { driver: lcus, path: ${host}, wiring: normally-closed }`, '[power]'));
    const proc = spawn(process.execPath, [
      '--import',
      'tsx',
      join(import.meta.dirname, '../../src/cli/main.ts'),
      'actuator',
      'test',
      '--config',
      file,
      '--router',
      'r1',
      '--ms',
      '3000',
      '--yes',
    ]);
    children.add(proc);
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    // The board (in this process) sees the frame a little after the CLI prints the edge.
    for (let i = 0; i < 1500 && !(out.includes('power-off') && board.relays.get(1) === true); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(board.relays.get(1), true, 'relay energized: power is off');
    proc.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /Ctrl-C: finishing the release first/);
    assert.match(out, /power-on/);
    assert.equal(board.relays.get(1), false, 'released: router powered');
  });
});

void test('CLI: press through the simulator, and a power cycle through a simulated PoE switch', async () => {
  const router = new SimulatedRouter({ timing: { bootMs: 300, shutdownMs: 1000, minOffMs: 1000 } });
  const sw = new SimulatedRouter({ model: 'CRS328-24P', password: 'x', controlPort: false });
  await router.start();
  await sw.start();
  sw.poe?.attach('ether3', router);
  const buttons: boolean[] = [];
  const power: boolean[] = [];
  router.on('button', (e: { down: boolean }) => buttons.push(e.down));
  router.on('power', (e: { on: boolean }) => power.push(e.on));
  writeFileSync(join(dir, 'switch.pw'), 'x\n');
  try {
    const file = join(dir, 'sim.yaml');
    writeFileSync(
      file,
      configText(`      button: { driver: sim, url: "http://127.0.0.1:${router.controlPort}" }
      power:
        driver: routeros-poe
        switch: { host: 127.0.0.1, port: ${sw.apiPort}, username: admin, password: { file: switch.pw } }
        interface: ether3
        timing: { offMs: 1500, offMinMs: 1000 }`),
    );
    const pressed = await cli([
      'actuator',
      'test',
      '--config',
      file,
      '--router',
      'r1',
      '--press',
      '--ms',
      '250',
      '--yes',
    ]);
    assert.equal(pressed.code, 0, pressed.err + pressed.out);
    assert.match(pressed.out, /button-down\n.*button-up\n/);
    assert.deepEqual(buttons, [true, false]);
    const cycled = await cli(['actuator', 'test', '--config', file, '--router', 'r1', '--power-cycle', '--yes']);
    assert.equal(cycled.code, 0, cycled.err + cycled.out);
    assert.deepEqual(power, [false, true], 'the router behind the PoE port went down and came back');
    assert.deepEqual(router.faults, []);
  } finally {
    await router.stop();
    await sw.stop();
  }
});

void test('config: a PDU as the button or a normally-open relay as the power cut is refused with its path', () => {
  const text = configText(`      button: { driver: apc, path: /dev/ttyUSB0, outlet: 1 }
      power: { driver: gpio, pin: 17, wiring: normally-open }`);
  assert.throws(
    () => parseConfigText(text, join(dir, 'agent.yaml'), {}),
    (error: Error) =>
      /routers\[0\]\.actuators\.button: driver apc cannot press a button/.test(error.message) &&
      /routers\[0\]\.actuators\.power: driver gpio cannot cut power/.test(error.message),
  );
});

void test('every driver says whether power comes back by itself if the agent dies mid-cut', () => {
  const cases: Array<[Record<string, unknown>, 'device-timed' | 'host-timed']> = [
    [{ driver: 'gpio', pin: 17, wiring: 'normally-closed' }, 'host-timed'],
    [{ driver: 'lcus', path: '/dev/x', wiring: 'normally-open' }, 'host-timed'],
    [{ driver: 'numato', path: '/dev/x', wiring: 'normally-closed' }, 'host-timed'],
    [{ driver: 'wti', path: '/dev/x', plug: 1, method: 'boot' }, 'device-timed'],
    [{ driver: 'wti', path: '/dev/x', plug: 1, method: 'off-on' }, 'host-timed'],
    [{ driver: 'apc', path: '/dev/x', outlet: 1, method: 'reboot' }, 'device-timed'],
    [{ driver: 'apc', path: '/dev/x', outlet: 1, method: 'off-on' }, 'host-timed'],
    [{ driver: 'sim', url: 'http://127.0.0.1:1' }, 'host-timed'],
  ];
  for (const [config, expected] of cases) {
    const parsed = actuatorSchema.parse(config);
    assert.equal(ifAgentDies(parsed).timedBy, expected, JSON.stringify(config));
    assert.match(
      ifAgentDies(parsed).explain,
      expected === 'device-timed' ? /restores the power by itself/ : /needs `dmconfirm actuator release`/,
    );
  }
});
