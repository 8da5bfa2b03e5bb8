// Issue 12: a campaign is approved once (M-of-N, the root's rules), a release only opens
// targets of it, and an agent acts only with a proof that it is one of those targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedClock } from '../../src/time/wall-clock.js';
import { TargetTree } from '../../src/trust/campaign/build.js';
import type { CampaignTarget } from '../../src/trust/campaign/schema.js';
import { targetRequestId } from '../../src/trust/campaign/schema.js';
import { verifyCampaignOrder } from '../../src/trust/campaign/verify.js';
import { TYP } from '../../src/trust/messages.js';
import type { TrustRoot } from '../../src/trust/trust-root.js';
import {
  campaignPayload,
  digestOf,
  order,
  others,
  releaseFor,
  SELF,
  signedCampaign,
  TREE,
} from './campaign-fixtures.js';
import { AGENT, context, keys, NOW, refused, SERIAL, signExactly, trustRootV1 } from './fixtures.js';

let root: TrustRoot;
const ctx = async () => context((root ??= await trustRootV1()));

void test('control: an approved campaign, this agent as target 4, released in wave 1: one id per target', async () => {
  const verdict = await verifyCampaignOrder(await order(), await ctx());
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  if (!verdict.ok) return;
  assert.equal(verdict.message.requestId, targetRequestId('spring-2026-container', SELF));
  assert.deepEqual(verdict.message.change, { features: { container: true } });
  assert.deepEqual(verdict.approverNames.sort(), ['alice', 'bob']);
  assert.deepEqual({ index: verdict.campaign.index, wave: verdict.campaign.wave }, { index: 4, wave: 1 });
});

void test('a campaign under threshold is refused, and the requester never counts toward it', async () => {
  refused(
    await verifyCampaignOrder(
      await order({ campaign: await signedCampaign(undefined, [keys.noc, keys.alice]) }),
      await ctx(),
    ),
    'too-few-approvers',
  );
  // socks needs 2 by the root's feature rule, whatever the approver threshold says.
  const socks = campaignPayload({}, { features: { socks: true } });
  const underRule = await signedCampaign(socks, [keys.noc, keys.carol]);
  refused(
    await verifyCampaignOrder(await order({ campaign: underRule }), await ctx()),
    'too-few-approvers',
    /socks needs 2/,
  );
  const requesterSigns = await signedCampaign(campaignPayload({ requester: { name: 'alice' } }), [
    keys.alice,
    keys.bob,
  ]);
  refused(await verifyCampaignOrder(await order({ campaign: requesterSigns }), await ctx()), 'requester-unknown');
  const unsignedByRequester = await signedCampaign(undefined, [keys.alice, keys.bob]);
  refused(
    await verifyCampaignOrder(await order({ campaign: unsignedByRequester }), await ctx()),
    'requester-signature-missing',
  );
});

void test('a release can never widen a campaign: a target outside the tree has no proof', async () => {
  const outsider: CampaignTarget = { agent: AGENT, router: { serial: SERIAL } };
  const small = new TargetTree(others.slice(0, 3));
  const campaign = await signedCampaign(campaignPayload({}, undefined, small));
  // The coordinator releases a target the approvers never listed, with a proof from another tree.
  const release = releaseFor(campaign, { targets: [outsider] });
  for (const proof of [TREE.proof(4), { index: 2, path: small.proof(2).path }, { index: 0, path: [] }]) {
    refused(await verifyCampaignOrder(await order({ campaign, release, proof }), await ctx()), 'not-in-campaign');
  }
});

void test('a forged proof is refused: bent path, moved index, padded path', async () => {
  const good = TREE.proof(4);
  const bent = {
    ...good,
    path: good.path.map((p, i) => (i === 0 ? Buffer.from(p, 'base64url').fill(7, 0, 1).toString('base64url') : p)),
  };
  for (const proof of [
    bent,
    { ...good, index: 5 },
    { ...good, path: [...good.path, good.path[0]!] },
    { ...good, path: good.path.slice(1) },
  ]) {
    refused(await verifyCampaignOrder(await order({ proof }), await ctx()), 'not-in-campaign');
  }
});

void test('a release that does not name this target, or opens an earlier wave, starts nothing', async () => {
  const campaign = await signedCampaign();
  refused(
    await verifyCampaignOrder(
      await order({ campaign, release: releaseFor(campaign, { targets: [others[0]!] }) }),
      await ctx(),
    ),
    'not-released',
  );
  refused(
    await verifyCampaignOrder(await order({ campaign, release: releaseFor(campaign, { wave: 0 }) }), await ctx()),
    'not-released',
    /wave 1/,
  );
});

void test('a release for another campaign (other id, or same id with other contents) is refused', async () => {
  const campaign = await signedCampaign();
  const otherId = releaseFor(campaign, { campaign: { campaignId: 'autumn-2026-rose', digest: digestOf(campaign) } });
  refused(await verifyCampaignOrder(await order({ campaign, release: otherId }), await ctx()), 'release-mismatch');
  const twin = await signedCampaign(campaignPayload({ activationTimeoutSeconds: 600 }));
  refused(
    await verifyCampaignOrder(await order({ campaign, release: releaseFor(twin) }), await ctx()),
    'release-mismatch',
  );
});

void test('only the coordinator the approvers named may release', async () => {
  refused(
    await verifyCampaignOrder(await order({ releaseSigners: [keys.alice] }), await ctx()),
    'release-unauthorized',
  );
  refused(await verifyCampaignOrder(await order({ releaseSigners: [keys.mallory] }), await ctx()), 'unknown-key');
  const approverCoordinates = await signedCampaign(campaignPayload({ coordinator: { name: 'alice' } }));
  refused(
    await verifyCampaignOrder(
      await order({ campaign: approverCoordinates, releaseSigners: [keys.alice] }),
      await ctx(),
    ),
    'release-unauthorized',
  );
  const campaign = await signedCampaign();
  const forged = await signExactly(releaseFor(campaign), TYP.release, [{ ...keys.mallory, keyId: keys.noc.keyId }]);
  refused(await verifyCampaignOrder(await order({ campaign, release: forged }), await ctx()), 'bad-signature');
  const asCampaign = await signExactly(releaseFor(campaign), TYP.campaign, [keys.noc]);
  refused(await verifyCampaignOrder(await order({ campaign, release: asCampaign }), await ctx()), 'bad-typ');
});

void test('releases are short-lived and need a synchronized clock', async () => {
  const campaign = await signedCampaign();
  const old = releaseFor(campaign, {
    issuedAt: new Date(NOW - 7200_000).toISOString(),
    notAfter: new Date(NOW - 3600_000).toISOString(),
  });
  refused(await verifyCampaignOrder(await order({ campaign, release: old }), await ctx()), 'expired');
  refused(
    await verifyCampaignOrder(
      await order({ campaign }),
      context(await trustRootV1(), { clock: fixedClock(NOW, false) }),
    ),
    'clock-unsynced',
  );
  const long = releaseFor(campaign, { notAfter: new Date(NOW + 3 * 86_400_000).toISOString() });
  refused(await verifyCampaignOrder(await order({ campaign, release: long }), await ctx()), 'bad-payload', /24 h/);
});

void test('replayed releases start a target once: the same order, and a second release naming it', async () => {
  const c = context(await trustRootV1());
  const campaign = await signedCampaign();
  const first = await order({ campaign });
  assert.equal((await verifyCampaignOrder(first, c)).ok, true);
  refused(await verifyCampaignOrder(first, c), 'replayed');
  const again = releaseFor(campaign, { releaseId: 'release-again-1', targets: [SELF, others[5]!] });
  refused(await verifyCampaignOrder(await order({ campaign, release: again }), c), 'replayed');
});

void test('the proof of another agent, or a campaign local policy forbids, is refused here', async () => {
  refused(
    await verifyCampaignOrder(await order({ target: others[5]!, release: undefined }), await ctx()),
    'wrong-agent',
  );
  const traffic = await signedCampaign(campaignPayload({}, { features: { 'traffic-gen': true } }));
  refused(
    await verifyCampaignOrder(await order({ campaign: traffic, release: releaseFor(traffic) }), await ctx()),
    'policy-feature',
  );
  const tooLong = await signedCampaign(
    campaignPayload({ window: { notAfter: new Date(NOW + 30 * 86_400_000).toISOString() } }),
  );
  refused(
    await verifyCampaignOrder(await order({ campaign: tooLong, release: releaseFor(tooLong) }), await ctx()),
    'window-too-long',
  );
});
