// A challenge belongs to one operation: the attacker quotes an observed change's challenge in
// orders it signs itself (with approver keys it holds), against the running agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeDigest } from '../../src/trust/change.js';
import { TYP } from '../../src/trust/messages.js';
import { E2E } from './harness.js';
import { forge, forgedId } from './forger.js';

void test("orders quoting an observed change's challenge are refused wrong-challenge; approval works", async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const team = e2e.site.team;
  const keys = [team.approvers[0]!, team.approvers[1]!, team.approvers[2]!];
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = (await e2e.challenge()).challenge;
  const quote = { challengeId: open.challengeId, nonce: open.nonce };
  const common = () => ({
    v: 1,
    requestId: forgedId('forged'),
    agent: 'pi-demo',
    router: e2e.router,
    requester: { name: team.requester.name },
    issuedAt: new Date().toISOString(),
  });

  const cycle = forge({ ...common(), kind: 'power-cycle', reason: 'hung', challenge: quote }, TYP.powerCycle, keys);
  await e2e.publish('powercycle', cycle);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(cycle))).error?.code, 'wrong-challenge');

  const change = { features: { container: true } };
  const request = forge(
    {
      ...common(),
      kind: 'change-request',
      change,
      digest: changeDigest(change),
      method: 'power',
      activationTimeoutSeconds: 60,
      challenge: quote,
    },
    TYP.request,
    keys,
  );
  await e2e.publish('request', request);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(request))).error?.code, 'wrong-challenge');
  assert.equal(e2e.powerCuts + e2e.presses, 0, 'nothing actuated for a misused challenge');

  // The observed change's own approval still finds its challenge open.
  const approval = await team.approval(open, { expect: { enable: ['container'] }, method: 'power' });
  await e2e.publish('approval', approval);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(approval))).data.state, 'done');
  assert.equal(e2e.powerCuts, 1);
});
