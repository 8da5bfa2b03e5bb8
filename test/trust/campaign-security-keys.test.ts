// Issue 12: campaign and release signatures by security keys advance the agent's counters. One
// campaign signature is verified again for every target of the agent, after every restart and
// with every re-sent release: that very signature passes again, any other one must still raise
// the key's counter, so a cloned key cannot replay an older counter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildCampaign, buildRelease, TargetTree } from '../../src/trust/campaign/build.js';
import type { Campaign, CampaignTarget, Release } from '../../src/trust/campaign/schema.js';
import { payloadDigest } from '../../src/trust/campaign/schema.js';
import { verifyCampaignOrder } from '../../src/trust/campaign/verify.js';
import type { Envelope } from '../../src/trust/jws.js';
import { TYP } from '../../src/trust/messages.js';
import { addKey, initRoot } from '../../src/trust/root-edit.js';
import { SkCounterStore } from '../../src/trust/ssh/sk-counters.js';
import { sshKeyEntry, sshKeyInfo } from '../../src/trust/ssh/trusted-key.js';
import { TrustRoot, verifySelfSigned } from '../../src/trust/trust-root.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { AGENT, context, keys, NOW, refused, requestPayload, sign, signExactly, tempDir, text } from './fixtures.js';
import { pubLine, skBlob, skEntry, testKey, UP } from './ssh-fixtures.js';

/** carol approves with a security key; ops (the coordinator) releases with one. */
const carol = testKey();
const ops = testKey();
const carolInfo = sshKeyInfo(sshKeyEntry(pubLine(skBlob(carol))), 'carol');
const opsInfo = sshKeyInfo(sshKeyEntry(pubLine(skBlob(ops))), 'ops');

async function trustRoot(): Promise<TrustRoot> {
  let payload = initRoot({
    rootKeys: [keys.alice],
    approverKeys: [keys.alice],
    requesterKeys: [keys.noc],
    rootThreshold: 1,
    approverThreshold: 1,
    suggestedRules: false,
  });
  payload = addKey(payload, carolInfo, ['approver']);
  payload = addKey(payload, opsInfo, ['requester']);
  payload = { ...payload, thresholds: { ...payload.thresholds, approver: 2 } };
  const root = TrustRoot.fromEnvelopeText(text(await sign(payload, TYP.root, [keys.alice])));
  await verifySelfSigned(root);
  return root;
}

/** Three routers of this agent in one wave. */
const MINE: CampaignTarget[] = ['HF0000001', 'HF0000002', 'HF0000003'].map((serial) => ({
  agent: AGENT,
  router: { serial },
}));
const TREE = new TargetTree([{ agent: 'site9-pi', router: { serial: 'HF9' } }, ...MINE]);
const routerOf = (target: CampaignTarget) => ({
  name: target.router.serial!,
  serial: target.router.serial!,
  methods: ['power' as const],
});

function campaignPayload(campaignId = 'spring-2026-container'): Campaign {
  return buildCampaign({
    campaignId,
    requester: { name: 'noc' },
    coordinator: { name: 'ops' },
    now: NOW - 3600_000,
    window: { notAfter: new Date(NOW + 2 * 86_400_000).toISOString() },
    change: { features: { container: true } },
    method: 'power',
    activationTimeoutSeconds: 300,
    tree: TREE,
    waves: [{ percent: 100 }],
    abort: { minExecuted: 2, maxFailures: 2 },
  });
}

/** Signed by noc (requester) and alice, plus carol's security key at `counter`. */
async function campaignSigned(counter: number, payload = campaignPayload()): Promise<Envelope> {
  const envelope = await signExactly(payload, TYP.campaign, [keys.noc, keys.alice]);
  const entry = skEntry(carol, envelope.payload, TYP.campaign, { flags: UP, counter });
  return { ...envelope, signatures: [...envelope.signatures, entry] };
}

async function releaseSigned(campaign: Envelope, counter: number, releaseId = 'release-1'): Promise<Envelope> {
  const release: Release = buildRelease({
    campaign: {
      campaignId: (JSON.parse(Buffer.from(campaign.payload, 'base64url').toString()) as Campaign).campaignId,
      digest: payloadDigest(Buffer.from(campaign.payload, 'base64url')),
    },
    wave: 0,
    targets: MINE,
    now: NOW - 60_000,
    validityMs: 3600_000,
    releaseId,
  });
  const envelope = await signExactly(release, TYP.release, []);
  return { ...envelope, signatures: [skEntry(ops, envelope.payload, TYP.release, { flags: UP, counter })] };
}

const order = (campaign: Envelope, release: Envelope, target: CampaignTarget) =>
  text({ v: 1, kind: 'campaign-order', campaign, target, proof: TREE.proof(TREE.indexOf(target)), release });

async function opened(path: string): Promise<SkCounterStore> {
  const store = new SkCounterStore(path);
  await store.load();
  return store;
}

void test('a campaign signature passes for another router after a restart; no clone replays a counter', async (t) => {
  const root = await trustRoot();
  const path = join(tempDir(t), 'sk-counters.json');
  const ctxFor = (store: SkCounterStore, target: CampaignTarget) =>
    context(root, { skCounters: store, router: routerOf(target) });
  const [first, second, third] = MINE as [CampaignTarget, CampaignTarget, CampaignTarget];
  const campaign = await campaignSigned(100);
  const release = await releaseSigned(campaign, 7);

  let store = await opened(path);
  const accepted = await verifyCampaignOrder(order(campaign, release, first), ctxFor(store, first));
  assert.equal(accepted.ok, true, JSON.stringify(accepted));
  assert.equal(store.last(carolInfo.keyId), 100, 'the campaign signature advanced the counter');
  assert.equal(store.last(opsInfo.keyId), 7, 'the release signature advanced the counter');

  // carol signs an ordinary request afterwards (counter 101): the agent sees it first.
  let request = await sign(requestPayload({ router: { serial: first.router.serial } }), TYP.request, [keys.alice]);
  request = {
    ...request,
    signatures: [...request.signatures, skEntry(carol, request.payload, TYP.request, { flags: UP, counter: 101 })],
  };
  const ordinary = await verifyChangeRequest(text(request), ctxFor(store, first));
  assert.equal(ordinary.ok, true, JSON.stringify(ordinary));
  assert.equal(store.last(carolInfo.keyId), 101);

  // Restart; the campaign's second router on this agent: the same signatures (100, 7) pass.
  store = await opened(path);
  const again = await verifyCampaignOrder(order(campaign, release, second), ctxFor(store, second));
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.equal(store.last(carolInfo.keyId), 101, 'the kept signature does not lower the counter');

  // A cloned key signs another campaign, or the same campaign anew, with a counter not above 101.
  for (const counter of [100, 101, 50]) {
    const clone = await campaignSigned(counter, campaignPayload('autumn-2026-container'));
    refused(
      await verifyCampaignOrder(order(clone, await releaseSigned(clone, 50 + counter), third), ctxFor(store, third)),
      'sk-counter-replayed',
      /counter \d+ is not above 101/,
    );
  }
  const resigned = await campaignSigned(99);
  refused(
    await verifyCampaignOrder(order(resigned, await releaseSigned(resigned, 8), third), ctxFor(store, third)),
    'sk-counter-replayed',
  );
  // A cloned coordinator key: another release of the campaign at the counter already seen.
  refused(
    await verifyCampaignOrder(
      order(campaign, await releaseSigned(campaign, 7, 'release-2'), third),
      ctxFor(store, third),
    ),
    'sk-counter-replayed',
    /counter 7 is not above 7/,
  );
  // A new release (counter 8) of the campaign as approved still opens the third router.
  const fresh = await verifyCampaignOrder(
    order(campaign, await releaseSigned(campaign, 8, 'release-3'), third),
    ctxFor(store, third),
  );
  assert.equal(fresh.ok, true, JSON.stringify(fresh));
  assert.equal(store.last(opsInfo.keyId), 8);
});
