// doctor on network outlets: it reads the outlet (nothing is switched) and says what
// happens if the agent dies mid-cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNetworkActuator, withDeathBehaviour } from '../../src/doctor/actuator-checks.js';
import { ShellySim } from '../../src/actuators/shelly-sim.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';

void test('doctor: outlet on passes, off warns, unreachable fails; device-timed said; nothing switched', async (t) => {
  const sim = new ShellySim();
  await sim.start();
  t.after(() => sim.stop());
  const config = actuatorSchema.parse({ driver: 'shelly', url: sim.url, wiring: 'normally-closed', timeoutMs: 500 });
  const ok = withDeathBehaviour(await checkNetworkActuator('r1 power actuator', config), config);
  assert.equal(ok.status, 'ok', ok.detail);
  assert.match(
    ok.detail,
    /answers, outlet on; if the agent dies mid-cut: device-timed: the switch's toggle_after timer restores the power by itself/,
  );
  sim.outputs[0] = true; // NC relay energized: the router is off
  const off = await checkNetworkActuator('r1 power actuator', config);
  assert.equal(off.status, 'warn');
  assert.match(off.detail, /outlet reads off/);
  assert.deepEqual(
    sim.calls.map((c) => c.method),
    ['Switch.GetStatus', 'Switch.GetStatus'],
  );
  await sim.stop();
  const gone = await checkNetworkActuator('r1 power actuator', config);
  assert.equal(gone.status, 'fail');
});
