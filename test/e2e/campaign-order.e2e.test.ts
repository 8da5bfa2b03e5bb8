// Issue 12: a campaign order over real mosquitto to the real agent and simulated router: the
// released target runs the normal change flow once; a target of a later wave, a replayed
// release and a forged proof start nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChange } from '../../src/trust/drafts.js';
import { buildCampaign, buildRelease, TargetTree } from '../../src/trust/campaign/build.js';
import type { CampaignTarget } from '../../src/trust/campaign/schema.js';
import { payloadDigest, targetRequestId } from '../../src/trust/campaign/schema.js';
import { TYP } from '../../src/trust/messages.js';
import { messageDigest } from '../../src/mqtt/contract.js';
import { E2E } from './harness.js';

async function campaignFor(e2e: E2E, selfIndex: number) {
  const team = e2e.site.team;
  const self: CampaignTarget = { agent: 'pi-demo', router: e2e.router };
  const others = Array.from({ length: 5 }, (_, i): CampaignTarget => ({
    agent: `other-${i}`,
    router: { serial: `SN-${i}` },
  }));
  const targets = [...others.slice(0, selfIndex), self, ...others.slice(selfIndex)];
  const tree = new TargetTree(targets);
  const ops = { name: team.requester.name, keyId: team.requester.keyId };
  const payload = buildCampaign({
    campaignId: `e2e-campaign-${selfIndex}`,
    requester: ops,
    coordinator: ops,
    now: Date.now() - 1000,
    window: { notAfter: new Date(Date.now() + 86_400_000).toISOString() },
    change: buildChange({ enable: ['container'] }),
    method: 'power',
    activationTimeoutSeconds: 120,
    tree,
    waves: [{ count: 2 }, { percent: 100 }],
    abort: { minExecuted: 1, maxFailures: 1 },
  });
  const campaign = JSON.parse(
    await team.sign(payload, TYP.campaign, [team.requester, ...team.approvers.slice(0, 2)]),
  ) as { payload: string };
  const digest = payloadDigest(Buffer.from(campaign.payload, 'base64url'));
  const order = async (wave: number, releaseId: string, proof = tree.proof(selfIndex)) => {
    const rel = buildRelease({
      campaign: { campaignId: payload.campaignId, digest },
      wave,
      targets: [self],
      now: Date.now(),
      validityMs: 3600_000,
      releaseId,
    });
    const release = JSON.parse(await team.sign(rel, TYP.release, [team.requester])) as unknown;
    return JSON.stringify({ v: 1, kind: 'campaign-order', campaign, target: self, proof, release });
  };
  return { order, requestId: targetRequestId(payload.campaignId, self), tree };
}

void test('a released campaign target runs once; later waves, replays and forged proofs start nothing', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const { order, requestId, tree } = await campaignFor(e2e, 3);

  // Target 3 is in wave 1: a wave-0 release starts nothing.
  const early = await order(0, 'release-wave-0');
  await e2e.observer.client.publishAsync(e2e.topics.release, early, { qos: 1 });
  const refusal = await e2e.finalAnswer(requestId);
  assert.equal(refusal.error?.code, 'not-released', JSON.stringify(refusal));
  assert.equal(refusal.data.inReplyTo, messageDigest(early));

  // A forged proof (another target's path) is refused as a security event.
  const forged = await order(1, 'release-forged', { index: 3, path: tree.proof(2).path });
  await e2e.observer.client.publishAsync(e2e.topics.release, forged, { qos: 1 });
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"not-in-campaign"'),
    'forged proof refusal',
  );
  assert.ok(e2e.events('not-in-campaign').some((ev) => ev.type === 'security'));
  assert.equal(e2e.powerCuts, 0, 'nothing actuated before the release');

  const good = await order(1, 'release-wave-1');
  await e2e.observer.client.publishAsync(e2e.topics.release, good, { qos: 1 });
  const done = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"state":"done"'),
    'done',
    60_000,
  );
  assert.ok(done);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
  const states = e2e
    .answers(requestId)
    .filter((a) => a.data.inReplyTo === messageDigest(good))
    .map((a) => a.data.state);
  assert.deepEqual(states, ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done']);

  // Another release naming the same target (a replay of the wave) does not act again.
  const again = await order(1, 'release-again');
  await e2e.observer.client.publishAsync(e2e.topics.release, again, { qos: 1 });
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"replayed"'),
    'replay refusal',
  );
  assert.equal(e2e.powerCuts, 1, 'acted exactly once');
});
