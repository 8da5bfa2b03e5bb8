// SNMP PDUs through net-snmp against a real SNMP agent on loopback UDP (SnmpPduSim, a
// net-snmp Agent serving each vendor's outlet tables and timing reboots like the PDU).
import { after, test, type TestContext } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorProtocolError, ActuatorUnavailableError, RestoreFailedError } from '../../src/actuators/errors.js';
import { SnmpPduSim, type SnmpPduSimOptions } from '../../src/actuators/snmp-pdu-sim.js';
import { rebootSecondsFor, SNMP_MIBS } from '../../src/actuators/snmp-mibs.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Actuator } from '../../src/actuators/types.js';

const TIMING = { offMs: 1000, offMinMs: 1000, offMaxMs: 10_000 };
const V3 = { username: 'dmconfirm', authKey: 'auth-key-123', privKey: 'priv-key-456' };

async function pdu(t: TestContext, options: SnmpPduSimOptions): Promise<SnmpPduSim> {
  const sim = new SnmpPduSim({ rebootSeconds: 30, v3: V3, ...options });
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

const secrets = mkdtempSync(join(tmpdir(), 'dmconfirm-snmp-'));
after(() => rmSync(secrets, { recursive: true, force: true }));
/** A secret reference to a file holding `value`, as the config would name it. */
function secret(value: string): { file: string } {
  const file = join(secrets, `s-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { file };
}

function actuator(t: TestContext, sim: SnmpPduSim, extra: Record<string, unknown> = {}): Actuator {
  const snmp = { version: '2c', community: secret('private') };
  const config = actuatorSchema.parse({
    driver: 'snmp',
    host: '127.0.0.1',
    port: sim.port,
    mib: sim.options.mib,
    outlet: 3,
    snmp,
    timing: TIMING,
    timeoutMs: 500,
    ...extra,
  });
  const a = createActuator(config, { logger: silentLogger(), name: 'test/power' });
  t.after(() => a.stop());
  return a;
}

for (const mib of ['apc-rpdu', 'apc-spdu', 'cyberpower', 'eaton'] as const) {
  void test(`${mib}: the PDU times the reboot; the agent reads the cut back and reports its timing`, async (t) => {
    // The agent sets the outlet's reboot duration (from 30 s) to what the MIB accepts: APC and
    // CyberPower take 5 s at least, so the planned 1 s becomes 5 s (never shorter); Eaton takes 1 s.
    const plannedS = mib === 'eaton' ? 1 : 5;
    const sim = await pdu(t, { mib, rebootSeconds: 30 });
    const power = actuator(t, sim);
    await power.start();
    const report = await power.powerCycle();
    const edges = report.edges.map((e) => e.edge);
    assert.equal(edges[0], 'cycle-sent');
    assert.match(edges[1]!, /^outlet-(off|cycling)-read-back$/);
    assert.match(edges[2]!, /^outlet-on-by-device-after-\d+ms$/);
    assert.equal(edges.at(-1), 'outlet-on-confirmed');
    assert.equal(report.device?.timedBy, 'device');
    assert.equal(report.device?.onTime, true);
    assert.equal(report.device?.plannedOffMs, plannedS * 1000);
    assert.ok(report.device.observedOffMs >= plannedS * 1000 - 100, `observed ${report.device.observedOffMs} ms`);
    // One reboot command; the power came back by the PDU's timer, not by a command of ours.
    assert.deepEqual(sim.commands, [{ outlet: 3, command: 'reboot' }]);
    assert.deepEqual(
      sim.switches.map((s) => [s.outlet, s.on, s.by]),
      [
        [3, false, 'command'],
        [3, true, 'timer'],
      ],
    );
    assert.equal(sim.outlets.get(3)!.rebootSeconds, plannedS, "the agent set the outlet's reboot duration");
  });
}

void test('reboot durations the vendor MIBs accept: never shorter than planned', () => {
  // PowerNet-MIB sPDUOutletRebootDuration: steps 5..60 s, another value becomes the next LOWER step.
  assert.equal(rebootSecondsFor(SNMP_MIBS['apc-spdu'], 8000), 10);
  assert.equal(rebootSecondsFor(SNMP_MIBS['apc-spdu'], 31_000), 45);
  assert.equal(rebootSecondsFor(SNMP_MIBS['apc-spdu'], 2000), 5);
  // rPDUOutletConfigRebootDuration and CPS-MIB ePDUOutletConfigRebootDuration: 5..60 s.
  assert.equal(rebootSecondsFor(SNMP_MIBS['apc-rpdu'], 8200), 9);
  assert.equal(rebootSecondsFor(SNMP_MIBS.cyberpower, 2000), 5);
  assert.equal(rebootSecondsFor(SNMP_MIBS.cyberpower, 60_000), 60);
  // EATON-EPDU-MIB outletControlRebootOffTime: 1..99999 s.
  assert.equal(rebootSecondsFor(SNMP_MIBS.eaton, 2500), 3);
});

void test('an APC MasterSwitch given 8 s would keep 5 s: the agent sets 10 s and the cut lasts 10 s', async (t) => {
  const sim = await pdu(t, { mib: 'apc-spdu' });
  const power = actuator(t, sim, { timing: { offMs: 8000 } });
  await power.start();
  const report = await power.powerCycle();
  assert.equal(sim.outlets.get(3)!.rebootSeconds, 10);
  assert.equal(report.device?.plannedOffMs, 10_000);
  assert.ok(report.device.observedOffMs >= 10_000 - 100, `observed ${report.device.observedOffMs} ms`);
});

void test('SNMPv3 authPriv (SHA/AES) drives the outlet; a wrong privacy key gets no answer, no switch', async (t) => {
  const sim = await pdu(t, { mib: 'apc-rpdu' });
  const v3 = (privKey: string) => ({
    version: '3',
    username: V3.username,
    authProtocol: 'sha',
    authKey: secret(V3.authKey),
    privProtocol: 'aes',
    privKey: secret(privKey),
  });
  const good = actuator(t, sim, { snmp: v3(V3.privKey), method: 'off-on' });
  await good.start();
  const report = await good.powerCycle();
  assert.deepEqual(
    report.edges.map((e) => e.edge),
    ['outlet-off', 'outlet-on-confirmed'],
  );
  assert.equal(report.device, undefined, 'host-timed: no device timing');
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['off', 'on'],
  );

  const bad = actuator(t, sim, { snmp: v3('wrong-priv-key'), retries: 0 });
  await assert.rejects(bad.start(), ActuatorUnavailableError);
  assert.equal(sim.commands.length, 2);
});

void test('a wrong community: start fails unavailable; a cut fails before anything is sent', async (t) => {
  const sim = await pdu(t, { mib: 'eaton' });
  const power = actuator(t, sim, { snmp: { version: '2c', community: secret('public') }, retries: 0 });
  await assert.rejects(power.start(), ActuatorUnavailableError);
  const error = await power.powerCycle().then(
    () => undefined,
    (e: unknown) => e,
  );
  // The outlet cannot be read back either: the release keeps retrying in the background.
  assert.ok(error instanceof RestoreFailedError, String(error));
  const cause = error.cause;
  assert.ok(cause instanceof ActuatorUnavailableError, String(cause));
  assert.equal(cause.nothingSent, true, 'the reboot duration could not even be set: nothing switched');
  assert.deepEqual(sim.commands, []);
});

void test('a PDU that accepts the reboot and never cuts: the cut is reported not done, the outlet on', async (t) => {
  const sim = await pdu(t, { mib: 'apc-rpdu', ignoreReboot: true });
  const power = actuator(t, sim);
  await power.start();
  await assert.rejects(
    power.powerCycle(),
    (e: unknown) => e instanceof ActuatorProtocolError && /never seen off/.test(e.message),
  );
  assert.equal(sim.isOn(3), true);
  assert.deepEqual(sim.switches, []);
});

void test('a PDU whose timer runs late: the agent turns the outlet on itself, reports the device late', async (t) => {
  const sim = await pdu(t, { mib: 'apc-spdu', lateByMs: 60_000 });
  const power = actuator(t, sim);
  await power.start();
  const report = await power.powerCycle();
  assert.ok(
    report.edges.some((e) => e.edge === 'device-timer-overdue'),
    JSON.stringify(report.edges),
  );
  assert.equal(report.device?.onTime, false);
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['reboot', 'on'],
  );
  assert.equal(sim.isOn(3), true);
});

void test('start() switches an outlet that is off back on and reads it back', async (t) => {
  const sim = await pdu(t, { mib: 'cyberpower' });
  sim.outlets.get(3)!.on = false;
  const power = actuator(t, sim);
  await power.start();
  assert.equal(sim.isOn(3), true);
  assert.deepEqual(sim.commands, [{ outlet: 3, command: 'on' }]);
  sim.commands.length = 0;
  await power.start(); // already on: read only
  assert.deepEqual(sim.commands, []);
});
