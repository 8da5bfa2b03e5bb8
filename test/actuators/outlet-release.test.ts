// `actuator release` (the unit's ExecStopPost) and the agent's start-up, right after an agent
// died mid-cut on a device-timed outlet: the device's own timer finishes the cut (switching
// on at once would shorten it to a second: no cold boot), within a bound; host-timed outlets
// are switched on at once. A real SNMP agent (SnmpPduSim) plays the PDU.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActuator, networkOutlet } from '../../src/actuators/index.js';
import { deviceWaitMs } from '../../src/actuators/outlet.js';
import { SnmpPduSim } from '../../src/actuators/snmp-pdu-sim.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { silentLogger } from '../../src/log/logger.js';

const OFF_MS = 2000;
const scratch = mkdtempSync(join(tmpdir(), 'dmconfirm-release-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const communityFile = join(scratch, 'community');
writeFileSync(communityFile, 'private\n', { mode: 0o600 });

async function eatonPdu(t: TestContext): Promise<SnmpPduSim> {
  const sim = new SnmpPduSim({ mib: 'eaton', community: 'private', rebootSeconds: 30 });
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

function config(sim: SnmpPduSim, method: 'reboot' | 'off-on') {
  return actuatorSchema.parse({
    driver: 'snmp',
    host: '127.0.0.1',
    port: sim.port,
    mib: 'eaton',
    outlet: 3,
    method,
    snmp: { version: '2c', community: { file: communityFile } },
    timing: { offMs: OFF_MS, offMinMs: 1000 },
    pollMs: 100,
  });
}

/** What ExecStopPost runs per actuator: a fresh driver whose start() forces the released state. */
async function release(sim: SnmpPduSim, method: 'reboot' | 'off-on'): Promise<number> {
  const actuator = createActuator(config(sim, method), { logger: silentLogger(), name: 'r1/power' });
  const startedAt = performance.now();
  try {
    await actuator.start();
  } finally {
    await actuator.stop();
  }
  return performance.now() - startedAt;
}

void test('release during a PDU-timed cut a dead agent left: the PDU finishes it, nothing early', async (t) => {
  const sim = await eatonPdu(t);
  const outlet = networkOutlet(config(sim, 'reboot'))!;
  await outlet.cycle(OFF_MS); // what the agent sent before it was SIGKILLed
  await outlet.close();
  assert.equal(sim.isOn(3), false);
  await release(sim, 'reboot');
  assert.equal(sim.isOn(3), true);
  const [off, on] = sim.switches;
  assert.equal(on?.by, 'timer', "switched on by the PDU's own timer");
  assert.ok(on.at - off!.at >= OFF_MS - 100, `off for ${Math.round(on.at - off!.at)} ms, planned ${OFF_MS}`);
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['reboot'],
    'the release sent no "on"',
  );
});

void test('release of a device-timed outlet that stays off: switched on from here after a bounded wait', async (t) => {
  const sim = await eatonPdu(t);
  sim.outlets.get(3)!.on = false; // off with no timer running (a device that lost its timer)
  const tookMs = await release(sim, 'reboot');
  assert.equal(sim.isOn(3), true);
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['on'],
  );
  const bound = deviceWaitMs(OFF_MS);
  assert.ok(tookMs >= bound - 100 && tookMs < bound + 10_000, `waited ${Math.round(tookMs)} ms, bound ${bound}`);
  assert.ok(deviceWaitMs(600_000) <= 20_000, "never longer than the cap (under the unit's TimeoutStopSec)");
});

void test('release of a host-timed outlet (off-on): switched on at once', async (t) => {
  const sim = await eatonPdu(t);
  sim.outlets.get(3)!.on = false;
  const tookMs = await release(sim, 'off-on');
  assert.equal(sim.isOn(3), true);
  assert.deepEqual(
    sim.commands.map((c) => c.command),
    ['on'],
  );
  assert.ok(tookMs < deviceWaitMs(OFF_MS) - 1000, `took ${Math.round(tookMs)} ms`);
});
