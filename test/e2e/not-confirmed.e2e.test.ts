import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { OperationJournal, type OperationRecord } from '../../src/agent/journal.js';
import { deadlineIn } from '../../src/time/deadline.js';
import { messageDigest } from '../../src/mqtt/contract.js';
import { applyChange, type DeviceModeState } from '../../src/routeros/device-mode.js';
import { SimulatedRouter } from '../../src/sim/index.js';
import { buildChange } from '../../src/trust/drafts.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';

void test('a power relay wired to the wrong outlet: not confirmed, no false security alarm', async (t) => {
  // The relay switches another device; hap1 never loses power.
  const elsewhere = new SimulatedRouter({ password: 'x', timing: { bootMs: 500, shutdownMs: 200, minOffMs: 500 } });
  await elsewhere.start();
  t.after(() => elsewhere.stop());
  const e2e = new E2E();
  t.after(() => e2e.stop());
  const timing = { offMs: 2000, offMinMs: 2000, pressMs: 300 };
  await e2e.start({
    routerConfig: {
      bootTimeoutMs: 10_000,
      methods: ['power'],
      actuators: { power: { driver: 'sim', url: `http://127.0.0.1:${elsewhere.controlPort}`, timing } },
    },
  });
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  const final = await e2e.finalAnswer(requestId, 40_000);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.equal(final.error?.code, 'not-confirmed');
  assert.deepEqual(e2e.events('device-mode-mismatch'), [], 'nothing came back different: the router never rebooted');
  assert.equal(e2e.powerCuts, 0);
  assert.equal(e2e.site.router.state().deviceMode.features.container, false);
});

void test('restarted after a crash between journaling "actuating" and the first edge: not confirmed', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ routerConfig: { bootTimeoutMs: 10_000 } });
  await e2e.stopAgent();
  // The crashed agent had its update pending and had journaled the action, but cut nothing.
  const update = e2e.otherClientUpdate({ enable: ['container'] });
  await waitFor(() => update.phases.find((p) => p.phase === 'pending'), 'update pending');
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  const at = new Date().toISOString();
  const record: OperationRecord = {
    v: 1,
    id: randomUUID(),
    router: 'hap1',
    kind: 'change',
    state: 'actuating',
    createdAt: at,
    updatedAt: at,
    requestId,
    requestDigest: messageDigest(jws),
    method: 'power',
    attemptCountBefore: 0,
    actuatorEngaged: true,
    outcomeReported: false,
    history: ['requesting', 'pending', 'actuating'].map((state) => ({
      state: state as OperationRecord['state'],
      at,
    })),
    expected: applyChange(
      e2e.site.router.state().deviceMode as DeviceModeState,
      buildChange({ enable: ['container'] }),
    ),
    expectAttemptCount: 0,
    engagedAt: deadlineIn(0, new Date()),
  };
  await new OperationJournal(join(e2e.site.dir, 'state')).save(record);
  await e2e.startAgent();
  const final = await e2e.finalAnswer(requestId, 30_000);
  assert.equal(final.data.state, 'failed', JSON.stringify(e2e.answers(requestId)));
  assert.equal(final.error?.code, 'not-confirmed');
  assert.deepEqual(e2e.events('device-mode-mismatch'), []);
  assert.equal(e2e.powerCuts, 0);
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on');
  assert.equal(state.deviceMode.features.container, false);
});

void test('a power cut too short for a cold boot: the router reboots unchanged; not confirmed, no alarm', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  // The relay cuts for 2.5 s; this router needs 4 s without power to count it as a cold boot.
  await e2e.start({ router: { timing: { bootMs: 2000, shutdownMs: 1000, minOffMs: 4000 } } });
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.equal(final.error?.code, 'not-confirmed');
  assert.deepEqual(e2e.events('device-mode-mismatch'), []);
  assert.equal(e2e.powerCuts, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.container, false);
});
