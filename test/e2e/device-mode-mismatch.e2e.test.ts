import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E } from './harness.js';

/** A signed request for fetch=yes by power cycle, published and pending on the router. */
async function fetchPending(t: { after: (fn: () => Promise<void>) => void }): Promise<{ e2e: E2E; requestId: string }> {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['fetch'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"pending"'),
    'pending',
  );
  return { e2e, requestId };
}

void test('a router back with more than requested raises the alarm; the operation fails, no retry', async (t) => {
  const { e2e, requestId } = await fetchPending(t);
  // The router's admin swaps what is pending: fetch plus socks (a SOCKS relay, Mēris style).
  assert.ok(e2e.site.router.deviceMode.replacePendingChange({ features: { fetch: true, socks: true } }));

  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.equal(final.error?.code, 'device-mode-mismatch');
  const alarm = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.events && m.payload.includes('"device-mode-mismatch"') && m.payload.includes('"security"'),
    'mismatch alarm',
  );
  assert.match(alarm.payload, /socks/);
  await sleep(1500);
  assert.equal(e2e.powerCuts, 1, 'no retry');
  assert.deepEqual(e2e.site.router.state().faults, []);
});

void test('an approval that expected another change than the one pending ends in the mismatch alarm', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  // The approvers believe fetch was requested; the router holds container.
  const approval = await e2e.site.team.approval(open.challenge, { expect: { enable: ['fetch'] }, method: 'button' });
  const requestId = e2e.requestIdOf(approval);
  await e2e.publish('approval', approval);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.equal(final.error?.code, 'device-mode-mismatch');
  assert.equal(e2e.events('device-mode-mismatch').filter((e) => e.type === 'security').length, 1);
  await sleep(1500);
  assert.equal(e2e.presses, 1, 'no retry');
  assert.equal(e2e.site.router.state().button.down, false);
});

void test('a pending change that also turns flagging-enabled off raises the alarm, features as approved', async (t) => {
  const { e2e, requestId } = await fetchPending(t);
  // Exactly the approved features, plus flagging-enabled=no: later tampering would go unflagged.
  assert.ok(e2e.site.router.deviceMode.replacePendingChange({ features: { fetch: true }, flaggingEnabled: false }));

  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.equal(final.error?.code, 'device-mode-mismatch');
  assert.match(final.error?.message ?? '', /flagging-enabled: expected true, got false/);
  assert.equal(e2e.events('device-mode-mismatch').filter((e) => e.type === 'security').length, 1);
});
