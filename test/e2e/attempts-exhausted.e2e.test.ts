import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from './harness.js';

void test('attempts exhausted: a request fails with the alarm; a signed power cycle resets the count', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { deviceMode: { attemptCount: 3 } } });
  const team = e2e.site.team;
  const request = await team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(request);
  await e2e.publish('request', request);
  const refused = await e2e.finalAnswer(requestId);
  assert.equal(refused.data.state, 'failed', JSON.stringify(refused));
  assert.equal(refused.error?.code, 'attempts-exhausted');
  assert.ok(e2e.events('attempts-exhausted').length > 0);
  assert.equal(e2e.powerCuts, 0);
  assert.equal(e2e.site.router.state().attemptCount, 3, 'no update was sent');

  const before = e2e.site.router.state().deviceMode;
  // A cold boot would confirm a pending attempt: a plain order is refused, nothing used.
  const plain = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'reset-attempt-count' });
  await e2e.publish('powercycle', plain);
  assert.match((await e2e.finalAnswer(e2e.requestIdOf(plain))).error?.code ?? '', /^(no-baseline|pending-change)$/);
  assert.equal(e2e.powerCuts, 0);
  // Accepting that a pending attempt may be confirmed, with the device-mode unchanged.
  const order = await team.powerCycle({
    agent: 'pi-demo',
    router: e2e.router,
    reason: 'reset-attempt-count',
    acceptPending: {},
  });
  const orderId = e2e.requestIdOf(order);
  await e2e.publish('powercycle', order);
  const final = await e2e.finalAnswer(orderId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.deepEqual(
    e2e.answers(orderId).map((a) => a.data.state),
    ['actuating', 'rebooting', 'verifying', 'done'],
  );
  const after = e2e.site.router.state();
  assert.equal(after.attemptCount, 0);
  assert.deepEqual({ ...after.deviceMode, attemptCount: 3 }, before, 'device-mode unchanged');
  assert.equal(e2e.powerCuts, 1);
  assert.deepEqual(after.faults, []);
});
