// `dmconfirm actuator test` against a simulated SNMP PDU (a real SNMP agent on loopback UDP):
// the dry run states what happens if the agent dies mid-cut, a real run lets the PDU time
// the cut, and a CLI SIGKILLed mid-cut leaves nothing dark: the PDU's timer restores power.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliScratch, runCli, until } from './fixtures/cli-run.js';
import { SnmpPduSim } from '../../src/actuators/snmp-pdu-sim.js';

const { children, configFor } = cliScratch('dmconfirm-cli-snmp-', after, { community: 'private\n' });

const snmpActuator = (port: number, method = 'reboot') =>
  `{ driver: snmp, host: 127.0.0.1, port: ${port}, mib: apc-rpdu, outlet: 2, method: ${method}, ` +
  `snmp: { version: "2c", community: { file: community } }, timing: { offMs: 5000 } }`;

void test('dry run: the plan says the PDU times the cut and what if the agent dies; nothing is sent', async (t) => {
  const sim = new SnmpPduSim({ mib: 'apc-rpdu' });
  await sim.start();
  t.after(() => sim.stop());
  const device = await runCli(
    ['actuator', 'test', '--config', configFor(snmpActuator(sim.port)), '--router', 'r1', '--dry-run'],
    children,
  );
  assert.equal(device.code, 0, device.err);
  assert.match(
    device.out,
    /if the agent dies mid-cut: device-timed: the PDU's outlet reboot timer restores the power by itself/,
  );
  const host = await runCli(
    ['actuator', 'test', '--config', configFor(snmpActuator(sim.port, 'off-on')), '--router', 'r1', '--dry-run'],
    children,
  );
  assert.match(
    host.out,
    /if the agent dies mid-cut: host-timed: the outlet stays off; needs `dmconfirm actuator release`/,
  );
  assert.deepEqual(sim.commands, []);
});

void test("a real run: one reboot command, the PDU restores the power, the CLI reports the PDU's timing", async (t) => {
  const sim = new SnmpPduSim({ mib: 'apc-rpdu', rebootSeconds: 30 });
  await sim.start();
  t.after(() => sim.stop());
  const run = await runCli(
    ['actuator', 'test', '--config', configFor(snmpActuator(sim.port)), '--router', 'r1', '--power-cycle', '--yes'],
    children,
  );
  assert.equal(run.code, 0, run.err + run.out);
  assert.match(run.out, /cycle-sent\n.*outlet-off-read-back\n.*outlet-on-by-device-after-\d+ms\n.*outlet-on-confirmed/);
  assert.match(run.out, /the device timed the cut: planned 5000 ms, read back on after \d+ ms/);
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['reboot'],
  );
  assert.deepEqual(
    sim.switches.map((s) => [s.on, s.by]),
    [
      [false, 'command'],
      [true, 'timer'],
    ],
  );
});

void test('the CLI SIGKILLed mid-cut: the PDU turns the outlet back on at the planned time, no release', async (t) => {
  const sim = new SnmpPduSim({ mib: 'apc-rpdu', rebootSeconds: 30 });
  await sim.start();
  t.after(() => sim.stop());
  const before = new Set(children);
  const run = runCli(
    ['actuator', 'test', '--config', configFor(snmpActuator(sim.port)), '--router', 'r1', '--power-cycle', '--yes'],
    children,
  );
  const child = [...children].find((c) => !before.has(c))!;
  await until(() => sim.switches.length === 1, 'outlet off');
  child.kill('SIGKILL');
  await run;
  assert.equal(sim.isOn(2), false, 'still off right after the kill');
  await until(() => sim.isOn(2), 'outlet back on by the PDU');
  const [off, on] = sim.switches;
  assert.equal(on?.by, 'timer');
  assert.ok(on.at - off!.at >= 4900, `off for ${Math.round(on.at - off!.at)} ms`);
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['reboot'],
    'nothing but the reboot was sent',
  );
});
