import type { Envelope, Signer } from '../trust/jws.js';
import { signPayload } from '../trust/jws.js';
import { TYP } from '../trust/messages.js';
import type { TargetTree } from '../trust/campaign/build.js';
import { buildRelease } from '../trust/campaign/build.js';
import type { Campaign } from '../trust/campaign/schema.js';
import type { TargetRecord } from './journal.js';

/**
 * The bytes one target's agent receives on its `release` topic: the campaign as approvers
 * signed it, this target's inclusion proof, and a release naming only this target (signed by
 * the coordinator), so an agent never downloads the other targets.
 */
export async function campaignOrder(options: {
  campaignEnvelope: Envelope;
  campaign: Campaign;
  digest: string;
  tree: TargetTree;
  target: TargetRecord;
  key: Signer;
  now: number;
  validityMs: number;
}): Promise<string> {
  const { target } = options;
  const signed = { agent: target.agent, router: target.router };
  const release = buildRelease({
    campaign: { campaignId: options.campaign.campaignId, digest: options.digest },
    wave: target.wave,
    targets: [signed],
    now: options.now,
    validityMs: options.validityMs,
  });
  const envelope = await signPayload(release, TYP.release, options.key);
  return JSON.stringify({
    v: 1,
    kind: 'campaign-order',
    campaign: options.campaignEnvelope,
    target: signed,
    proof: options.tree.proof(target.index),
    release: envelope,
  });
}
