// Raritan PX (JSON-RPC) and Netio (JSON API) over HTTPS with a pinned self-signed certificate
// and HTTP basic auth, against JsonPduSim: the PDU times the cut; a wrong pin sends nothing.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActuator } from '../../src/actuators/index.js';
import { ActuatorUnavailableError } from '../../src/actuators/errors.js';
import { JsonPduSim } from '../../src/actuators/json-pdu-sim.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Actuator } from '../../src/actuators/types.js';

const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-json-pdu-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'pw'), 'pdu-pw\n');
const WRONG_PIN = 'sha256:' + '00'.repeat(32);

async function pdu(t: TestContext, kind: 'raritan' | 'netio'): Promise<JsonPduSim> {
  const sim = new JsonPduSim({ kind, username: 'admin', password: 'pdu-pw', cycleDelaySeconds: 30 });
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

function actuator(t: TestContext, sim: JsonPduSim, extra: Record<string, unknown> = {}): Actuator {
  const where = sim.options.kind === 'raritan' ? { outlet: 3 } : { output: 3 };
  const config = actuatorSchema.parse({
    driver: sim.options.kind,
    url: sim.url,
    username: 'admin',
    password: { file: join(dir, 'pw') },
    fingerprint: sim.fingerprint256,
    timing: { offMs: 1000, offMinMs: 1000 },
    ...where,
    ...extra,
  });
  const a = createActuator(config, { logger: silentLogger(), name: 'test/power' });
  t.after(() => a.stop());
  return a;
}

for (const kind of ['raritan', 'netio'] as const) {
  void test(`${kind}: pinned HTTPS, the PDU times the cut and turns the outlet on; timing read back`, async (t) => {
    const sim = await pdu(t, kind);
    const power = actuator(t, sim);
    await power.start();
    const report = await power.powerCycle();
    assert.match(
      report.edges.map((e) => e.edge).join(' '),
      /^cycle-sent outlet-(off|cycling)-read-back outlet-on-by-device-after-\d+ms outlet-on-confirmed$/,
    );
    assert.equal(report.device?.plannedOffMs, 1000);
    assert.deepEqual(
      sim.switches.map((s) => [s.outlet, s.on, s.by]),
      [
        [3, false, 'command'],
        [3, true, 'device'],
      ],
    );
    if (kind === 'raritan') {
      assert.equal(sim.outlets[2]!.cycleDelay, 1, 'cycleDelay set to offMs');
      assert.equal(sim.outlets[2]!.usePduCycleDelay, false, "the outlet's own delay applies, not the PDU-wide 30 s");
    }
  });

  void test(`${kind}: a certificate not matching the pin: nothing is sent, not even the credentials`, async (t) => {
    const sim = await pdu(t, kind);
    const power = actuator(t, sim, { fingerprint: WRONG_PIN });
    await assert.rejects(
      power.start(),
      (e: unknown) => e instanceof ActuatorUnavailableError && /does not match the pinned one/.test(e.message),
    );
    assert.deepEqual(sim.requests, []);
    // Without a pin the system trust store decides: a self-signed certificate is refused.
    const unpinned = actuator(t, sim, { fingerprint: undefined });
    await assert.rejects(unpinned.start(), /self-signed certificate/);
    assert.deepEqual(sim.requests, []);
  });
}

void test('netio: wrong credentials are refused as unavailable; nothing switched', async (t) => {
  const sim = await pdu(t, 'netio');
  writeFileSync(join(dir, 'bad'), 'nope\n');
  await assert.rejects(actuator(t, sim, { password: { file: join(dir, 'bad') } }).start(), /HTTP 401/);
  assert.deepEqual(sim.switches, []);
});
