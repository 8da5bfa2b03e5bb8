/**
 * Issue #6, fault injection: the MQTT broker goes down (and comes back) while the agent is
 * in each operation state. The agent needs no broker to finish what it started: each
 * operation completes, and its answers arrive once the broker is back, the final one
 * exactly once. The agent is held at the state until the broker is down: a RouterOS
 * command it waits for is held at the simulated router (or the press is held mid-pulse)
 * until mosquitto has exited, so the outage covers the state on a loaded machine too.
 *
 * The outages at rebooting (power) and actuating (power) are in broker-restart.e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { realClock } from '../../src/time/clock.js';
import type { OperationState } from '../../src/agent/operation-state.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';
import {
  assertAuditIntact,
  assertPhysicalSafe,
  distinctAnswers,
  finalsOf,
  journaled,
  onCommand,
  operationAnswers,
} from './fault-matrix.js';

interface BrokerCase {
  state: OperationState;
  flow: 'change' | 'observed';
  method: 'button' | 'power';
  /** How the agent is held in the state until the broker is down. */
  hold: { command: string } | 'press' | 'before-update' | 'challenge-open';
}

const CASES: BrokerCase[] = [
  { state: 'requesting', flow: 'change', method: 'button', hold: { command: '/system/device-mode/print' } },
  { state: 'pending', flow: 'change', method: 'button', hold: { command: '/system/device-mode/print' } },
  { state: 'actuating', flow: 'change', method: 'button', hold: 'press' },
  { state: 'verifying', flow: 'change', method: 'power', hold: { command: '/system/device-mode/print' } },
  { state: 'pending-observed', flow: 'observed', method: 'button', hold: 'before-update' },
  { state: 'challenged', flow: 'observed', method: 'power', hold: 'challenge-open' },
  { state: 'rebooting', flow: 'observed', method: 'button', hold: { command: '/system/resource/print' } },
];

const STATES = {
  change: ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done'],
  observed: ['actuating', 'rebooting', 'verifying', 'done'],
};

for (const c of CASES) {
  void test(`${c.flow}/${c.method}: broker down in ${c.state}, back: done, one final answer, acted once`, async (t) => {
    const e2e = new E2E();
    t.after(() => e2e.stop());
    let brokerDownIn: OperationState | undefined;
    const stopBrokerIfThere = async () => {
      if (brokerDownIn) return;
      const record = journaled(e2e);
      if (record?.state !== c.state) return;
      brokerDownIn = c.state;
      await e2e.broker.stop();
    };
    if (c.hold === 'press') {
      // The pulse's own wait while the button is down does not end before the broker is down.
      e2e.agentOptions = {
        actuatorDeps: {
          clock: {
            ...realClock,
            sleep: async (ms: number) => {
              if (e2e.site.router.state().button.down) await stopBrokerIfThere();
              await realClock.sleep(ms);
            },
          },
        },
      };
    }
    // A longer press (held while mosquitto stops) must still end before the router goes down.
    await e2e.start(
      c.hold === 'press' ? { router: { timing: { bootMs: 2000, shutdownMs: 5000, minOffMs: 1500 } } } : {},
    );
    const hold = c.hold;
    if (typeof hold === 'object') onCommand(e2e.site.router, hold.command, stopBrokerIfThere);

    let order: { kind: 'request' | 'approval'; jws: string };
    let operationId: string | undefined;
    if (c.flow === 'change') {
      const jws = await e2e.site.team.changeRequest({
        agent: 'pi-demo',
        router: e2e.router,
        change: { enable: ['container'] },
        method: c.method,
        activationTimeoutSeconds: 120,
      });
      await e2e.publish('request', jws);
      order = { kind: 'request', jws };
    } else {
      if (hold === 'before-update') {
        // Down before anything happens: the agent sees the rise, raises its alarm and
        // issues the challenge while no broker hears it.
        await e2e.broker.stop();
        brokerDownIn = 'pending-observed';
      }
      e2e.otherClientUpdate({ enable: ['container'] }, 120);
      if (hold === 'before-update') {
        await waitFor(
          () => (journaled(e2e)?.state === 'challenged' ? true : undefined),
          'challenged with the broker down',
          30_000,
        );
        operationId = journaled(e2e)!.id;
        assert.deepEqual(
          journaled(e2e)!.history.map((h) => h.state),
          ['pending-observed', 'challenged'],
        );
        await e2e.broker.start();
      }
      const open = await e2e.challenge(0, 30_000);
      operationId = open.operationId;
      if (hold === 'challenge-open') {
        // The challenge goes out just before the state is journaled.
        await waitFor(() => (journaled(e2e)?.state === 'challenged' ? true : undefined), 'challenged', 10_000);
        await stopBrokerIfThere();
        await sleep(500);
        await e2e.broker.start();
      }
      const jws = await e2e.site.team.approval(open.challenge, {
        expect: { enable: ['container'] },
        method: c.method,
      });
      await e2e.publish('approval', jws);
      order = { kind: 'approval', jws };
    }
    const requestId = e2e.requestIdOf(order.jws);

    // The operation ends while nobody can hear it (except where the broker came back for the approval).
    await waitFor(
      () => (brokerDownIn && !journaled(e2e) ? true : undefined),
      `broker down in ${c.state}, then the operation finished`,
      60_000,
    );
    assert.equal(brokerDownIn, c.state);
    if (e2e.broker.pid === undefined) {
      assert.equal(operationAnswers(e2e, requestId).length, 0, 'no final answer while the broker is down');
      await e2e.broker.start();
    }
    const final = await e2e.finalAnswer(requestId, 30_000);
    assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
    operationId ??= final.data.operationId;
    assert.ok(operationId);
    assert.deepEqual(
      distinctAnswers(e2e, requestId).map((a) => a.data.state),
      STATES[c.flow],
      'every answer, in order, once',
    );

    // The order again after the outage (what a QoS 1 redelivery would be): answered, not acted on.
    const from = e2e.observer.seen.length;
    await e2e.publish(order.kind, order.jws);
    await e2e.observer.waitFor(
      (m) => m.topic === e2e.topics.progress(requestId) && e2e.observer.seen.indexOf(m) >= from,
      'answer to the order sent again',
      20_000,
    );
    await sleep(1000);
    assert.equal(journaled(e2e), undefined, 'no operation started again');
    assert.deepEqual(finalsOf(e2e, operationId), ['done'], 'one final state for the operation');
    assert.equal(
      operationAnswers(e2e, requestId).filter((a) => !a.data.detail?.startsWith('duplicate')).length,
      1,
      'one final answer (a redelivery is answered as a duplicate)',
    );
    assert.equal(e2e.presses, c.method === 'button' ? 1 : 0);
    assert.equal(e2e.powerCuts, c.method === 'power' ? 1 : 0);
    assertPhysicalSafe(e2e);
    const state = e2e.site.router.state();
    assert.equal(state.deviceMode.features.container, true);
    assert.equal(state.attemptCount, 0);
    await assertAuditIntact(e2e);
  });
}
