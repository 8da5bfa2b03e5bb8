import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E } from './harness.js';

void test('forged, replayed and stale approvals are refused and nothing is actuated for them', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const team = e2e.site.team;
  e2e.otherClientUpdate({ enable: ['container'] });
  const first = await e2e.challenge();

  // Signed by a key the trust root does not know.
  const forged = await team.approval(first.challenge, {
    expect: { enable: ['container'] },
    method: 'power',
    approvers: [team.mallory],
  });
  await e2e.publish('approval', forged);
  const refusal = await e2e.finalAnswer(e2e.requestIdOf(forged));
  assert.equal(refusal.status, 'error');
  assert.match(refusal.error?.code ?? '', /unknown-key|too-few-approvers/);
  assert.equal(e2e.powerCuts + e2e.presses, 0);

  // The challenge stays open for a genuine approval, which is carried out once.
  const good = await team.approval(first.challenge, { expect: { enable: ['container'] }, method: 'power' });
  const goodId = e2e.requestIdOf(good);
  await e2e.publish('approval', good);
  assert.equal((await e2e.finalAnswer(goodId)).data.state, 'done');
  assert.equal(e2e.powerCuts, 1);

  // The same approval again: answered with its outcome, not carried out again.
  await e2e.publish('approval', good);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(goodId) && m.payload.includes('duplicate delivery'),
    'answer to the re-sent approval',
  );
  // Signed afresh for the used challenge (its nonce is consumed): refused.
  const reused = await team.approval(first.challenge, {
    expect: { enable: ['container'] },
    method: 'power',
    approvers: [team.approvers[1]!, team.approvers[2]!],
  });
  await e2e.publish('approval', reused);
  const reusedAnswer = await e2e.finalAnswer(e2e.requestIdOf(reused));
  assert.equal(reusedAnswer.status, 'error');
  assert.match(reusedAnswer.error?.code ?? '', /wrong-challenge|nonce-stale|replayed/);

  // A new pending change gets a new challenge; an approval quoting the old one is refused.
  const seenBefore = e2e.observer.seen.length;
  e2e.otherClientUpdate({ enable: ['fetch'] });
  const second = await e2e.challenge(seenBefore);
  assert.notEqual(second.challenge.challengeId, first.challenge.challengeId);
  const stale = await team.approval(first.challenge, { expect: { enable: ['fetch'] }, method: 'button' });
  await e2e.publish('approval', stale);
  const staleAnswer = await e2e.finalAnswer(e2e.requestIdOf(stale));
  assert.equal(staleAnswer.status, 'error');
  assert.match(staleAnswer.error?.code ?? '', /wrong-challenge|nonce-stale/);

  assert.equal(e2e.powerCuts, 1, 'only the genuine approval cut the power');
  assert.equal(e2e.presses, 0);
  assert.ok(
    e2e.events().some((e) => e.type === 'security' && /unknown-key|too-few-approvers/.test(e.code)),
    'forgery raised a security event',
  );
  assert.equal(e2e.site.router.state().deviceMode.features.fetch, false, 'the second change stays unconfirmed');
});

void test('an approval that arrives when too little activation time is left expires with no power event', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  // 20 s assumed activation window; a power cut (8 s) plus 10 s margin fits only in the first 2 s.
  await e2e.start({
    routerConfig: { observedActivationTimeoutSeconds: 20 },
    policy: { minActionMarginMs: 10_000 },
    offMs: 8000,
  });
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  await sleep(3000);
  const late = await e2e.site.team.approval(open.challenge, { expect: { enable: ['container'] }, method: 'power' });
  const lateId = e2e.requestIdOf(late);
  await e2e.publish('approval', late);
  const final = await e2e.finalAnswer(lateId);
  assert.equal(final.data.state, 'expired', JSON.stringify(final));
  assert.equal(final.error?.code, 'too-late');
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.challenge('hap1') && m.payload === '', 'challenge cleared');

  // Any later approval finds nothing open.
  const later = await e2e.site.team.approval(open.challenge, {
    expect: { enable: ['container'] },
    method: 'button',
    approvers: [e2e.site.team.approvers[2]!, e2e.site.team.approvers[0]!],
  });
  await e2e.publish('approval', later);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(later))).status, 'error');
  assert.equal(e2e.powerCuts + e2e.presses, 0, 'nothing actuated');
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on');
  assert.equal(state.deviceMode.features.container, false);
});
