import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from './harness.js';

void test('someone else requests a change: challenge, signed approval, power cut, verified, challenge cleared', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  assert.equal(open.router, 'hap1');
  assert.equal(open.challenge.observed?.attemptCount, 1);
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.events && m.payload.includes('"attempt-count-rose"'), 'attempt-count alarm');

  const approval = await e2e.site.team.approval(open.challenge, { expect: { enable: ['container'] }, method: 'power' });
  const requestId = e2e.requestIdOf(approval);
  const digest = await e2e.publish('approval', approval);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.deepEqual(
    e2e.answers(requestId).map((a) => a.data.state),
    ['actuating', 'rebooting', 'verifying', 'done'],
  );
  assert.ok(e2e.answers(requestId).every((a) => a.data.inReplyTo === digest));
  const state = e2e.site.router.state();
  assert.equal(state.deviceMode.features.container, true);
  assert.equal(state.attemptCount, 0);
  assert.deepEqual(state.faults, []);
  assert.equal(e2e.powerCuts, 1);
  // The retained challenge is gone: an empty retained payload removed it.
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.challenge('hap1') && m.payload === '', 'challenge cleared');
});

void test('an approval for a change the router already ended: the challenge said its end was assumed, the outcome says pressed and no reboot', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const update = e2e.otherClientUpdate({ enable: ['container'] }, 10); // the router ends it after 10 s; the agent assumes longer
  const open = await e2e.challenge();
  assert.equal(open.endAssumed, true, 'the agent cannot see the end of someone else’s change');
  await update.outcome.catch(() => undefined); // "update canceled": nothing is pending any more
  const approval = await e2e.site.team.approval(open.challenge, { expect: { enable: ['container'] }, method: 'button' });
  const requestId = e2e.requestIdOf(approval);
  await e2e.publish('approval', approval);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.match(final.data.detail ?? '', /button pressed, and the router did not reboot: no change was pending any more/);
  assert.doesNotMatch(final.data.detail ?? '', /did not reach it \(/);
  assert.equal(e2e.presses, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.container, false);
});
