// End to end with a network PDU: a real agent drives a simulated SNMP PDU (a real net-snmp
// agent on loopback UDP) whose outlet feeds the simulated router. The PDU times the cut
// itself: a signed request ends verified, and a daemon SIGKILLed in the middle of the cut
// leaves nothing dark: the PDU's own timer restores the power at the planned time, with no
// `actuator release` and no agent.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnmpPduSim } from '../../src/actuators/snmp-pdu-sim.js';
import type { SimulatedSite } from '../../src/demo/site.js';
import { assertRestoredOnTime, changeRequest, killMidCut, startDeviceTimedSite } from './device-timed.js';
import { E2E } from './harness.js';

const OFF_MS = 5000; // APC rPDUOutletConfigRebootDuration: 5..60 s

async function startSnmpSite(t: TestContext): Promise<{ e2e: E2E; pdu: SnmpPduSim }> {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-snmp-e2e-'));
  const community = join(dir, 'pdu.community');
  writeFileSync(community, 'rw-community\n', { mode: 0o600 });
  const e2e = new E2E();
  // The outlet feeds the router's supply.
  const pdu = new SnmpPduSim({
    mib: 'apc-rpdu',
    community: 'rw-community',
    rebootSeconds: 30,
    onSwitch: (outlet, on) => {
      if (outlet === 4) (e2e.site as SimulatedSite | undefined)?.router.setPower(on);
    },
  });
  await pdu.start();
  t.after(async () => {
    await e2e.stop();
    await pdu.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const snmp = { version: '2c', community: { file: community } };
  const power = {
    driver: 'snmp',
    host: '127.0.0.1',
    port: pdu.port,
    mib: 'apc-rpdu',
    outlet: 4,
    method: 'reboot',
    snmp,
  };
  await startDeviceTimedSite(e2e, power, OFF_MS);
  return { e2e, pdu };
}

void test('SNMP PDU: signed request, the PDU times the cut, the router is back with the approved mode', async (t) => {
  const { e2e, pdu } = await startSnmpSite(t);
  const requestId = await changeRequest(e2e);
  const final = await e2e.finalAnswer(requestId, 60_000);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  assert.equal(e2e.powerCuts, 1);
  assert.deepEqual(
    pdu.commands,
    [{ outlet: 4, command: 'reboot' }],
    'one reboot command; the PDU switched the outlet back on',
  );
  assert.deepEqual(
    pdu.switches.map((s) => [s.outlet, s.on, s.by]),
    [
      [4, false, 'command'],
      [4, true, 'timer'],
    ],
  );
  assert.equal(pdu.outlets.get(4)!.rebootSeconds, OFF_MS / 1000, "the outlet's reboot duration was set to offMs");
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on');
  assert.equal(state.deviceMode.features.container, true);
  // The audit keeps the PDU's own timing of the cut, as read back.
  const audit = readFileSync(join(e2e.site.dir, 'state', 'audit.jsonl'), 'utf8');
  assert.match(
    audit,
    new RegExp(
      `"device":\\{"timedBy":"device","plannedOffMs":${OFF_MS},` +
        `"observedOffMs":\\d+,"resolutionMs":250,"onTime":true\\}`,
    ),
  );
  assert.match(audit, /outlet-on-by-device-after-\d+ms/);
});

void test('SNMP PDU: the daemon SIGKILLed mid-cut: the PDU restores power on time, no release needed', async (t) => {
  const { e2e, pdu } = await startSnmpSite(t);
  await killMidCut(e2e, t, 'PDU');
  assertRestoredOnTime(e2e, pdu.switches, 'timer', OFF_MS);
  assert.deepEqual(
    pdu.commands.map((c) => c.command),
    ['reboot'],
  );
});
