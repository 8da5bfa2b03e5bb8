// An order refused before acting (router busy, router unreachable) has used nothing: not its
// request id, not its rate budget. The very same bytes work once the cause is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';

/** Every final answer to `requestId`, in order. */
const finals = (e2e: E2E, requestId: string): AgentResponse[] => e2e.answers(requestId).filter((a) => a.data.final);

async function nextFinal(e2e: E2E, requestId: string, count: number): Promise<AgentResponse> {
  await waitFor(
    () => finals(e2e, requestId).length >= count || undefined,
    `final answer #${count} to ${requestId}`,
    60_000,
  );
  return finals(e2e, requestId)[count - 1]!;
}

void test('refused busy: the same bytes are carried out later, and the refusals took no rate budget', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ policy: { maxOperationsPerHour: 2 } });
  const team = e2e.site.team;
  const order = (feature: string) =>
    team.changeRequest({
      agent: 'pi-demo',
      router: e2e.router,
      change: { enable: [feature] },
      method: 'button',
      activationTimeoutSeconds: 120,
    });
  const first = await order('fetch');
  await e2e.publish('request', first);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(e2e.requestIdOf(first)) && m.payload.includes('"pending"'),
    'first pending',
  );
  const second = await order('scheduler');
  const third = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  await e2e.publish('request', second);
  await e2e.publish('powercycle', third);
  assert.equal((await nextFinal(e2e, e2e.requestIdOf(second), 1)).error?.code, 'busy');
  assert.equal((await nextFinal(e2e, e2e.requestIdOf(third), 1)).error?.code, 'busy');
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(first))).data.state, 'done');

  // The same bytes again: verified afresh (not a replay, not a duplicate), and carried out.
  await e2e.publish('request', second);
  const again = await nextFinal(e2e, e2e.requestIdOf(second), 2);
  assert.equal(again.data.state, 'done', JSON.stringify(e2e.answers(e2e.requestIdOf(second))));
  assert.equal(e2e.presses, 2);
  // Two operations in the hour: the budget is spent by what ran, not by the refusals.
  await e2e.publish('powercycle', third);
  assert.equal((await nextFinal(e2e, e2e.requestIdOf(third), 2)).error?.code, 'rate-limited');
  assert.equal(e2e.powerCuts, 0);
});

void test('refused router-unreachable: nothing requested; the same bytes work once the router answers', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const router = e2e.site.router;
  const state = () =>
    e2e.observer.seen
      .filter((m) => m.topic === e2e.topics.routerState('hap1'))
      .map((m) => (JSON.parse(m.payload) as { reachable: boolean }).reachable);
  router.refuseApiLogins(true);
  router.dropApiSessions();
  await waitFor(() => state().at(-1) === false || undefined, 'agent sees the router unreachable', 30_000);
  const order = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['fetch'] },
    method: 'button',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(order);
  await e2e.publish('request', order);
  assert.equal((await nextFinal(e2e, requestId, 1)).error?.code, 'router-unreachable');
  assert.equal(router.state().attemptCount, 0, 'nothing was requested on the router');

  router.refuseApiLogins(false);
  await waitFor(() => state().at(-1) === true || undefined, 'agent sees the router again', 30_000);
  await e2e.publish('request', order);
  const final = await nextFinal(e2e, requestId, 2);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  assert.equal(e2e.presses, 1);
});
