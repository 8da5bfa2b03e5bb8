// `dmconfirm actuator test` against each device-timed network driver's simulator: a real
// run reports the device's own timing, and a CLI SIGKILLed mid-cut leaves nothing dark:
// the device's own timer (Backlog/PulseTime, toggle_after, cyclePowerState, short off)
// restores the power at the planned time, with no `actuator release`.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { cliScratch, runCli, until } from './fixtures/cli-run.js';
import { TasmotaSim } from '../../src/actuators/tasmota-sim.js';
import { ShellySim } from '../../src/actuators/shelly-sim.js';
import { JsonPduSim } from '../../src/actuators/json-pdu-sim.js';
import { Mosquitto } from '../helpers/mosquitto.js';

const { children, configFor } = cliScratch('dmconfirm-cli-device-', after, { 'pdu.pw': 'pdu-pw\n' });
const broker = new Mosquitto();
before(() => broker.start());
after(() => broker.dispose());

const OFF_MS = 2000;
const TIMING = `timing: { offMs: ${OFF_MS}, offMinMs: 1000 }`;

interface Device {
  actuator: string;
  stop(): Promise<void>;
  /** The wired load is powered. */
  powered(): boolean;
  /** Switches so far: [powered, by the device's own timer]. */
  history(): Array<[boolean, boolean]>;
  /** The load unpowered, behind the driver's back. */
  cutByHand(): void;
}

const devices: Record<string, () => Promise<Device>> = {
  async tasmota() {
    const sim = new TasmotaSim({ brokerUrl: broker.url, topic: 'cli-plug' });
    await sim.start();
    sim.relays[0] = true;
    return {
      actuator: `{ driver: tasmota, broker: { url: "${broker.url}" }, topic: cli-plug, wiring: outlet, ${TIMING} }`,
      stop: () => sim.stop(),
      powered: () => sim.relays[0] === true,
      history: () => sim.switches.map((s) => [s.on, s.by === 'device']),
      cutByHand: () => void (sim.relays[0] = false),
    };
  },
  async shelly() {
    const sim = new ShellySim({ switches: 1, password: 'pdu-pw' });
    await sim.start();
    sim.outputs[0] = true;
    return {
      actuator: `{ driver: shelly, url: "${sim.url}", password: { file: pdu.pw }, wiring: outlet, ${TIMING} }`,
      stop: () => sim.stop(),
      powered: () => sim.outputs[0] === true,
      history: () => sim.switches.map((s) => [s.output, s.by === 'device']),
      cutByHand: () => void (sim.outputs[0] = false),
    };
  },
  async raritan() {
    const sim = new JsonPduSim({ kind: 'raritan', username: 'admin', password: 'pdu-pw', cycleDelaySeconds: 30 });
    await sim.start();
    return {
      actuator:
        `{ driver: raritan, url: "${sim.url}", fingerprint: "${sim.fingerprint256}", ` +
        `username: admin, password: { file: pdu.pw }, outlet: 2, ${TIMING} }`,
      stop: () => sim.stop(),
      powered: () => sim.outlets[1]!.on,
      history: () => sim.switches.map((s) => [s.on, s.by === 'device']),
      cutByHand: () => void (sim.outlets[1]!.on = false),
    };
  },
  async netio() {
    const sim = new JsonPduSim({ kind: 'netio', username: 'admin', password: 'pdu-pw' });
    await sim.start();
    return {
      actuator:
        `{ driver: netio, url: "${sim.url}", fingerprint: "${sim.fingerprint256}", ` +
        `username: admin, password: { file: pdu.pw }, output: 2, ${TIMING} }`,
      stop: () => sim.stop(),
      powered: () => sim.outlets[1]!.on,
      history: () => sim.switches.map((s) => [s.on, s.by === 'device']),
      cutByHand: () => void (sim.outlets[1]!.on = false),
    };
  },
};

for (const [kind, make] of Object.entries(devices)) {
  void test(`${kind}: dry run says device-timed; a real run reports the device's timing`, async (t) => {
    const device = await make();
    t.after(() => device.stop());
    const config = configFor(device.actuator);
    const dry = await runCli(['actuator', 'test', '--config', config, '--router', 'r1', '--dry-run'], children);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /if the agent dies mid-cut: device-timed: .* restores the power by itself/);
    const run = await runCli(
      ['actuator', 'test', '--config', config, '--router', 'r1', '--power-cycle', '--yes'],
      children,
    );
    assert.equal(run.code, 0, run.err + run.out);
    assert.match(run.out, /outlet-on-by-device-after-\d+ms/);
    assert.match(run.out, /timed the cut: planned 2000 ms, read back on after \d+ ms/);
    assert.deepEqual(device.history(), [
      [false, false],
      [true, true],
    ]);
  });

  void test(`${kind}: the CLI SIGKILLed mid-cut: the device restores power on time, no release`, async (t) => {
    const device = await make();
    t.after(() => device.stop());
    const before = new Set(children);
    const run = runCli(
      ['actuator', 'test', '--config', configFor(device.actuator), '--router', 'r1', '--power-cycle', '--yes'],
      children,
    );
    const child = [...children].find((c) => !before.has(c))!;
    await until(() => !device.powered(), 'power cut');
    const cutAt = performance.now();
    child.kill('SIGKILL');
    await run;
    await until(() => device.powered(), 'power restored by the device');
    assert.ok(performance.now() - cutAt >= OFF_MS - 200, 'not before the planned off time');
    assert.deepEqual(
      device.history(),
      [
        [false, false],
        [true, true],
      ],
      'restored by the device itself',
    );
  });
}

void test('actuator release switches every kind of network outlet back on, reading it back', async (t) => {
  for (const [kind, make] of Object.entries(devices)) {
    const device = await make();
    t.after(() => device.stop());
    device.cutByHand(); // as a dead agent with a host-timed method would have left it
    assert.equal(device.powered(), false);
    const release = await runCli(['actuator', 'release', '--config', configFor(device.actuator)], children);
    assert.equal(release.code, 0, `${kind}: ${release.out}${release.err}`);
    assert.match(release.out, new RegExp(`ok {6}r1/power \\(${kind}\\): power on`));
    assert.equal(device.powered(), true, kind);
  }
});
