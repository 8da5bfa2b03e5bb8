// Retained orders are never executed: neither one left on the broker before the agent
// subscribes, nor one published retained while it listens (Retain As Published keeps the flag).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E } from './harness.js';

void test('a retained order is refused with a security event, before and while the agent subscribes', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const team = e2e.site.team;
  const order = () =>
    team.changeRequest({
      agent: 'pi-demo',
      router: e2e.router,
      change: { enable: ['fetch'] },
      method: 'button',
      activationTimeoutSeconds: 120,
    });

  // 1. Left retained on the broker while the agent was away: delivered on (re)subscribe.
  await e2e.stopAgent();
  const early = await order();
  await e2e.observer.client.publishAsync(e2e.topics.request, early, { qos: 1, retain: true });
  await e2e.startAgent();
  const earlyAnswer = await e2e.finalAnswer(e2e.requestIdOf(early));
  assert.equal(earlyAnswer.error?.code, 'retained-order', JSON.stringify(earlyAnswer));
  await e2e.observer.client.publishAsync(e2e.topics.request, '', { qos: 1, retain: true }); // remove it

  // 2. Published retained while the agent is subscribed: the broker forwards it live.
  const live = await order();
  await e2e.observer.client.publishAsync(e2e.topics.request, live, { qos: 1, retain: true });
  const liveAnswer = await e2e.finalAnswer(e2e.requestIdOf(live));
  assert.equal(liveAnswer.error?.code, 'retained-order', JSON.stringify(liveAnswer));
  await e2e.observer.client.publishAsync(e2e.topics.request, '', { qos: 1, retain: true });
  await sleep(500);
  assert.equal(e2e.presses + e2e.powerCuts, 0, 'nothing actuated for a retained order');
  const security = e2e.events('retained-order');
  assert.ok(security.length >= 2 && security.every((e) => e.type === 'security'), JSON.stringify(security));

  // Control: the very same bytes sent live (not retained) are a valid order, carried out once.
  await e2e.publish('request', live);
  const done = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.progress(e2e.requestIdOf(live)) &&
      m.payload.includes('"final":true') &&
      m.payload.includes('"done"'),
    'the live order carried out',
    60_000,
  );
  assert.ok(done);
  assert.equal(e2e.presses, 1);
});
