import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from './harness.js';

const isRepeat = (detail: string | undefined) => /^duplicate delivery/.test(detail ?? '');

void test('the same request delivered again is acted on once and answered each time', async (t) => {
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
  const digest = await e2e.publish('request', jws);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"pending"'),
    'pending',
  );

  // Redelivered while the operation runs: answered with where it stands, not started again.
  await e2e.publish('request', jws);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('duplicate delivery'),
    'answer to the duplicate',
  );
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));

  // Redelivered after the end: the outcome again.
  const before = e2e.answers(requestId).length;
  await e2e.publish('request', jws);
  const again = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.progress(requestId) &&
      e2e.observer.seen.filter((s) => s.topic === m.topic).indexOf(m) >= before,
    'answer to the late duplicate',
  );
  const answer = JSON.parse(again.payload) as typeof final;
  assert.equal(answer.data.state, 'done');
  assert.equal(answer.data.final, true);
  assert.equal(answer.data.inReplyTo, digest);
  assert.ok(isRepeat(answer.data.detail), answer.data.detail);

  const own = e2e.answers(requestId).filter((a) => !isRepeat(a.data.detail));
  assert.deepEqual(
    own.map((a) => a.data.state),
    ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done'],
  );
  assert.equal(e2e.presses, 1, 'pressed once');
  assert.equal(e2e.powerCuts, 0);
  assert.equal(e2e.events().filter((e) => e.code === 'operation-actuating').length, 1);
});

void test('a refused request delivered again gets the same refusal and no second alarm', async (t) => {
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
  const requestId = e2e.requestIdOf(forged);
  await e2e.publish('request', forged);
  const first = await e2e.finalAnswer(requestId);
  assert.equal(first.status, 'error');
  await e2e.publish('request', forged);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('duplicate delivery'),
    'answer to the duplicate',
  );
  const answers = e2e.answers(requestId);
  assert.equal(answers.length, 2);
  assert.deepEqual(answers[1]?.error, first.error);
  assert.equal(answers[1]?.data.final, true);
  const alarms = e2e.observer.seen.filter((m) => m.topic === e2e.topics.events && m.payload.includes(requestId));
  assert.equal(alarms.length, 1, 'one security event');
  assert.equal(e2e.powerCuts + e2e.presses, 0);
});
