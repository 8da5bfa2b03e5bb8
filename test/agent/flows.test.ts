// The flows behind their ports, state by state, on fakes (test/agent/fakes.ts): the change
// request, the power cycle and the common tail (act, wait for the reboot, read back); crash
// recovery in recovery.test.ts, the observed change in observed-flow.test.ts. The e2e suites keep
// the wiring; these pin each branch of the flows themselves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActuatorUnavailableError } from '../../src/actuators/errors.js';
import { runChangeRequest } from '../../src/agent/flows/change-flow.js';
import { runPowerCycle } from '../../src/agent/flows/powercycle-flow.js';
import { beforeChange, beforePowerCycle } from '../../src/agent/flows/before-start.js';
import type { UpdateSession } from '../../src/agent/ports.js';
import type { SeenAfterAction, UpdateOutcome, UpdatePhase } from '../../src/routeros/update-request.js';
import type { ChangeRequest, PowerCycle } from '../../src/trust/messages.js';
import type { Accepted } from '../../src/trust/verify.js';
import { FakeRouter, flowRig, homeState } from './fakes.js';

const common = {
  v: 1 as const,
  agent: 'pi',
  router: { serial: 'HF0001' },
  requester: { name: 'ops' },
  issuedAt: new Date().toISOString(),
};

function accepted<M extends ChangeRequest | PowerCycle>(message: M): Accepted<M> {
  return {
    ok: true,
    message,
    approverNames: ['alice'],
    signerKeyIds: ['k1'],
    requirement: { required: 1, because: ['approver threshold 1'] },
    commit: () => Promise.resolve(),
  };
}

function powerCycle(reason: PowerCycle['reason'] = 'hung'): Accepted<PowerCycle> {
  return accepted({ ...common, requestId: 'req-power-1', kind: 'power-cycle', reason });
}

function changeRequest(method: 'button' | 'power' = 'button'): Accepted<ChangeRequest> {
  const change = { features: { container: true } };
  return accepted({
    ...common,
    requestId: 'req-change-1',
    kind: 'change-request',
    change,
    digest: 'd1',
    method,
    activationTimeoutSeconds: 300,
  });
}

type Rig = Awaited<ReturnType<typeof flowRig>>;

/** As the supervisor starts a power cycle: its plan checked first (the home state was verified). */
async function powerCycleOn(rig: Rig, order: Accepted<PowerCycle>, digest: string): Promise<void> {
  const lastVerified = { deviceMode: homeState(), at: new Date().toISOString() };
  const plan = await beforePowerCycle(rig.ctx, order.message, lastVerified);
  assert.ok(plan.ok, plan.ok ? '' : plan.message);
  await runPowerCycle(rig.ctx, order, digest, plan.value);
}

/** As the supervisor starts a change request: the router read first, as the baseline. */
async function changeOn(rig: Rig, order: Accepted<ChangeRequest>, digest: string): Promise<void> {
  await runChangeRequest(rig.ctx, order, digest, await rig.ctx.client.readDeviceMode());
}

interface ScriptedUpdate extends UpdateSession {
  /** What the flow did with the session, in order ('hand-over', 'settle'); a test may add its own marks. */
  calls: string[];
  /** What the flow told the session it saw after acting. */
  seen: SeenAfterAction[];
}

/** An update session that shows the given phases, then its outcome (never, if none); it reads nothing itself. */
function scriptedUpdate(phases: UpdatePhase[], outcome?: UpdateOutcome): ScriptedUpdate {
  const calls: string[] = [];
  const seen: SeenAfterAction[] = [];
  return {
    phases,
    outcome: outcome ? Promise.resolve(outcome) : new Promise<UpdateOutcome>(() => undefined),
    calls,
    seen,
    handOver: () => calls.push('hand-over'),
    settleBy: (s) => {
      calls.push('settle');
      seen.push(s);
    },
    async *[Symbol.asyncIterator]() {
      for (const phase of phases) yield await Promise.resolve(phase);
    },
  };
}

/** A router whose update is pending (attempt-count rose by ours) once requested; `applies`: a boot applies it. */
function pendingOnRequest(rig: Rig, update: ScriptedUpdate, applies = true): void {
  rig.router.update = update;
  const requestUpdate = rig.router.requestUpdate.bind(rig.router);
  rig.router.requestUpdate = (change, seconds) => {
    rig.router.state = { ...rig.router.state, attemptCount: 1 };
    if (applies)
      rig.router.afterBoot = (s) => ({ ...s, attemptCount: 0, features: { ...s.features, container: true } });
    return requestUpdate(change, seconds);
  };
  const boot = rig.router.boot.bind(rig.router);
  rig.router.boot = () => {
    update.calls.push('reboot');
    boot();
  };
}

void test('power cycle: actuating, rebooting, verifying, done; acted once, journal cleared', async (t) => {
  const rig = await flowRig(t);
  await powerCycleOn(rig, powerCycle(), 'digest-1');
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'done']);
  assert.deepEqual(rig.power.acts, ['power-cycle']);
  assert.equal(rig.router.boots, 1);
  assert.deepEqual(rig.alarms, []);
  assert.equal((await rig.journal.load()).size, 0, 'a finished operation leaves no journal record');
  const engaged = rig.saved.find((r) => r.actuatorEngaged);
  assert.ok(engaged?.engagedAt && engaged.expected, 'engaged, with what to verify, journaled before the first edge');
});

void test('power cycle: a router that comes back different is a security alarm, device-mode-mismatch', async (t) => {
  const rig = await flowRig(t);
  rig.router.afterBoot = (s) => ({ ...s, attemptCount: 0, features: { ...s.features, container: true } });
  await powerCycleOn(rig, powerCycle(), 'digest-2');
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'failed']);
  assert.equal(rig.finalCode(), 'device-mode-mismatch');
  // ... and a revert back to the last verified device-mode is offered, ready to sign.
  assert.deepEqual(
    rig.alarms.map((a) => [a.code, a.type]),
    [
      ['device-mode-mismatch', 'security'],
      ['revert-request', 'security'],
    ],
  );
  assert.deepEqual(rig.alarms[1]?.data?.change, { features: { container: false } });
});

void test('power cycle: a router that does not come back fails router-not-back with a critical alarm', async (t) => {
  const rig = await flowRig(t);
  rig.power.fail = undefined;
  const power = rig.power;
  // The cut goes out, and the router stays away.
  rig.ctx.actuators.power = {
    kind: power.kind,
    busy: false,
    released: () => power.released(),
    press: (ms, o) => power.press(ms, o),
    powerCycle: async (ms, o) => {
      const report = await power.powerCycle(ms, o);
      rig.router.down = true;
      return report;
    },
  };
  await powerCycleOn(rig, powerCycle(), 'digest-3');
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'failed']);
  assert.equal(rig.finalCode(), 'router-not-back');
  assert.deepEqual(
    rig.alarms.map((a) => [a.code, a.severity]),
    [['router-not-back', 'critical']],
  );
});

void test('power cycle: an actuator failing before sending anything fails closed, nothing switched', async (t) => {
  const rig = await flowRig(t);
  const error = new ActuatorUnavailableError('serial adapter unplugged');
  error.nothingSent = true;
  rig.power.fail = { error, edgeFirst: false };
  await powerCycleOn(rig, powerCycle(), 'digest-4');
  assert.deepEqual(rig.states(), ['actuating', 'failed']);
  assert.equal(rig.finalCode(), 'actuator-unavailable');
  assert.equal(rig.router.boots, 0);
  assert.equal(rig.saved.at(-1)?.actuatorEngaged, false);
  assert.deepEqual(
    rig.alarms.map((a) => a.code),
    ['actuator-failed'],
  );
});

void test('power cycle: uptime still counting means the action missed: not-confirmed, no alarm', async (t) => {
  const rig = await flowRig(t);
  rig.router.boot = () => undefined; // the relay clicks, the router never notices
  await powerCycleOn(rig, powerCycle(), 'digest-5');
  assert.deepEqual(rig.states(), ['actuating', 'rebooting', 'verifying', 'failed']);
  assert.equal(rig.finalCode(), 'not-confirmed');
  assert.deepEqual(rig.alarms, []);
});

void test('change request: requesting, pending, then on to done with exactly the approved device-mode', async (t) => {
  const rig = await flowRig(t);
  const update = scriptedUpdate([
    { phase: 'sent', attemptCountBefore: 0 },
    { phase: 'pending', evidence: 'attempt-count', attemptCount: 1 },
  ]);
  pendingOnRequest(rig, update);
  await changeOn(rig, changeRequest('button'), 'digest-7');
  assert.deepEqual(rig.states(), ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done']);
  assert.deepEqual(
    rig.router.updates.map((u) => u.change),
    [{ features: { container: true } }],
  );
  assert.deepEqual(rig.button.acts, ['press']);
  assert.deepEqual(rig.power.acts, []);
  assert.equal(rig.router.state.features.container, true);
  // One watch of the reboot: the session was handed over before the press, and settled by
  // what the operation's reboot wait and read-back saw.
  assert.deepEqual(update.calls, ['hand-over', 'reboot', 'settle']);
  assert.deepEqual(update.seen, [{ rebooted: true, state: rig.router.state }]);
});

void test('change request: a press the router ignores settles the session as not rebooted', async (t) => {
  const rig = await flowRig(t);
  const update = scriptedUpdate([{ phase: 'pending', evidence: 'attempt-count', attemptCount: 1 }]);
  pendingOnRequest(rig, update, false);
  rig.router.boot = () => update.calls.push('reboot ignored'); // the router never notices
  await changeOn(rig, changeRequest('button'), 'digest-7b');
  assert.deepEqual(rig.states(), ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'failed']);
  assert.equal(rig.finalCode(), 'not-confirmed');
  assert.deepEqual(update.calls, ['hand-over', 'reboot ignored', 'settle']);
  assert.deepEqual(update.seen, [{ rebooted: false, state: homeState({ attemptCount: 1 }) }]);
});

void test('change request: a router not back after the press: the session is handed over, never settled', async (t) => {
  const rig = await flowRig(t);
  const update = scriptedUpdate([{ phase: 'pending', evidence: 'attempt-count', attemptCount: 1 }]);
  pendingOnRequest(rig, update);
  rig.router.boot = () => {
    update.calls.push('reboot');
    rig.router.down = true;
  };
  await changeOn(rig, changeRequest('button'), 'digest-7c');
  assert.deepEqual(rig.states(), ['requesting', 'pending', 'actuating', 'rebooting', 'failed']);
  assert.equal(rig.finalCode(), 'router-not-back');
  // Its owner cancels it after the failed operation (own-update.ts): nothing was read back to settle it by.
  assert.deepEqual(update.calls, ['hand-over', 'reboot']);
});

void test("change request: someone else's attempt on top of ours is a security alarm; nothing actuated", async (t) => {
  const rig = await flowRig(t);
  rig.router.update = scriptedUpdate([{ phase: 'pending', evidence: 'attempt-count', attemptCount: 2 }]);
  const requestUpdate = rig.router.requestUpdate.bind(rig.router);
  rig.router.requestUpdate = (change, seconds) => {
    rig.router.state = { ...rig.router.state, attemptCount: 2 };
    return requestUpdate(change, seconds);
  };
  await changeOn(rig, changeRequest(), 'digest-8');
  assert.deepEqual(rig.states(), ['requesting', 'pending', 'failed']);
  const update = rig.router.update as ScriptedUpdate;
  assert.deepEqual(update.calls, [], 'not acted: the session keeps following the router itself');
  assert.deepEqual(
    rig.alarms.map((a) => [a.code, a.type]),
    [['attempt-count-changed', 'security']],
  );
  assert.deepEqual(rig.button.acts, []);
});

void test('change request: a router that does not hold the update fails with its phase; no action', async (t) => {
  const rig = await flowRig(t);
  rig.router.update = scriptedUpdate([{ phase: 'rejected', message: 'not allowed by device-mode' }], {
    phase: 'rejected',
    message: 'not allowed by device-mode',
  });
  await changeOn(rig, changeRequest(), 'digest-9');
  assert.deepEqual(rig.states(), ['requesting', 'failed']);
  assert.equal(rig.finalCode(), 'update-rejected');
  assert.deepEqual(rig.button.acts, []);
});

void test('change request: refused before the update when the router is flagged or out of attempts', async (t) => {
  for (const [state, code] of [
    [homeState({ flagged: true }), 'router-flagged'],
    [homeState({ attemptCount: 3 }), 'attempts-exhausted'],
  ] as const) {
    const rig = await flowRig(t, new FakeRouter(state));
    await changeOn(rig, changeRequest(), `digest-${code}`);
    assert.deepEqual(rig.states(), ['requesting', 'failed'], code);
    assert.equal(rig.finalCode(), code);
    assert.deepEqual(rig.router.updates, [], `${code}: no update requested`);
  }
});

void test('change request: a busy actuator refuses before anything is requested or recorded', async (t) => {
  const rig = await flowRig(t);
  rig.button.busy = true;
  const prepared = await beforeChange(rig.ctx, changeRequest('button').message);
  assert.equal(prepared.ok ? 'started' : prepared.code, 'actuator-busy');
  assert.deepEqual(rig.states(), [], 'no operation began');
  assert.deepEqual(rig.router.updates, []);
});
