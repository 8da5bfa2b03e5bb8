import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from './harness.js';

void test('a signed request to enable container with a power cycle ends verified', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  const digest = await e2e.publish('request', jws);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  const states = e2e.answers(requestId).map((a) => a.data.state);
  assert.deepEqual(states, ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done']);
  assert.ok(e2e.answers(requestId).every((a) => a.data.inReplyTo === digest));
  const state = e2e.site.router.state();
  assert.equal(state.deviceMode.features.container, true);
  assert.equal(state.deviceMode.mode, 'home');
  assert.equal(state.attemptCount, 0);
  assert.deepEqual(state.faults, []);
});

void test('a button press confirms a request; the button is never held across the reboot', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['fetch'] },
    method: 'button',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  const state = e2e.site.router.state();
  assert.equal(state.deviceMode.features.fetch, true);
  assert.deepEqual(state.faults, []);
  assert.equal(state.button.down, false);
});

void test('a forged request (unknown key) and a replay are refused with no actuation', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const team = e2e.site.team;
  const forged = await team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    approvers: [team.mallory],
  });
  const forgedId = e2e.requestIdOf(forged);
  await e2e.publish('request', forged);
  const refusal = await e2e.finalAnswer(forgedId);
  assert.equal(refusal.status, 'error');
  assert.match(refusal.error?.code ?? '', /unknown-key|too-few-approvers/);

  const good = await team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['scheduler'] },
    method: 'button',
    activationTimeoutSeconds: 120,
  });
  const goodId = e2e.requestIdOf(good);
  await e2e.publish('request', good);
  assert.equal((await e2e.finalAnswer(goodId)).data.state, 'done');
  const bootsAfterGood = e2e.site.router.state().uptimeMs;

  // The same bytes again (a QoS 1 duplicate) are not acted on again; re-signed with the same id is a replay.
  await e2e.publish('request', good);
  const replay = await team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['scheduler'] },
    method: 'button',
    requestId: goodId,
  });
  await e2e.publish('request', replay);
  const replayAnswer = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(goodId) && m.payload.includes('"replayed"'),
    'replay refusal',
  );
  assert.ok(replayAnswer);
  assert.ok(e2e.site.router.state().uptimeMs >= bootsAfterGood, 'no reboot after the replay');
  assert.equal(e2e.answers(goodId).filter((a) => a.data.state === 'actuating').length, 1, 'acted once');
});
