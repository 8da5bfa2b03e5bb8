import { changeDigest } from '../change.js';
import { verifyEnvelope } from '../jws.js';
import type { Envelope, SignedInput, VerifiedEnvelope } from '../jws.js';
import type { ChangeRequest } from '../messages.js';
import { TYP } from '../messages.js';
import { checkChangePolicy } from '../policy.js';
import { asVerdict, refuse } from '../refusal.js';
import type { Refusal } from '../refusal.js';
import { parseStrictOrRefuse } from '../strict-json.js';
import { checkDigest, checkTarget, readFresh, settle, verifySigned } from '../verify.js';
import type { Accepted, VerifyContext } from '../verify.js';
import { checkRequester, countApprovers, requiredApprovals } from '../approvers.js';
import type { Requirement } from '../approvers.js';
import { verifyInclusion } from './merkle.js';
import { openCampaignOrder, partOf } from './order-read.js';
import type { CampaignOrderInput } from './order-read.js';
import {
  campaignSchema,
  payloadDigest,
  releaseSchema,
  sameTarget,
  targetLeaf,
  targetRequestId,
  waveOf,
} from './schema.js';
import type { Campaign, CampaignOrder, Release } from './schema.js';
import type { SkEvidence } from '../ssh/sshsig-verify.js';

export interface CampaignAccepted extends Accepted<ChangeRequest> {
  campaign: { campaignId: string; digest: string; index: number; wave: number; releaseId: string };
}
export type CampaignVerdict = CampaignAccepted | Refusal;

/**
 * The campaign as signed: approvers' threshold for its change, the requester never counting.
 * Given its bytes or the envelope openEnvelope read (its payload is read there, once).
 */
export async function verifyCampaign(
  input: SignedInput,
  ctx: Pick<VerifyContext, 'trustRoot'>,
): Promise<{
  campaign: Campaign;
  digest: string;
  verified: VerifiedEnvelope;
  approverNames: string[];
  requirement: Requirement;
}> {
  const verified = await verifySigned(input, TYP.campaign, ctx);
  const campaign = parseStrictOrRefuse(campaignSchema, { json: verified.json }, 'bad-payload', 'campaign');
  checkDigest(campaign, changeDigest(campaign.change));
  const root = ctx.trustRoot;
  const coordinator = root.person(campaign.coordinator.name);
  if (!coordinator?.roles.has('requester')) {
    refuse(
      'release-unauthorized',
      `campaign coordinator "${campaign.coordinator.name}" is not an ` +
        `identity with the requester role in trust root v${root.version}`,
    );
  }
  if (campaign.coordinator.keyId !== undefined && !coordinator.keyIds.has(campaign.coordinator.keyId)) {
    refuse('release-unauthorized', `key ${campaign.coordinator.keyId} is not a key of coordinator ${coordinator.name}`);
  }
  // Approvers: the root's threshold and rules for this change; the requester's keys never count.
  const requester = checkRequester(root, verified, campaign.requester);
  const requirement = requiredApprovals(root, { change: campaign.change });
  const approverNames = countApprovers(root, verified.signers, requester, requirement);
  return { campaign, digest: payloadDigest(verified.payload), verified, approverNames, requirement };
}

/**
 * A release is signed by the campaign's coordinator (its key, when named) and by keys of the
 * root only; its envelope as read with the order, its payload read once the signatures hold.
 */
async function verifyRelease(
  envelope: Envelope,
  campaign: Campaign,
  digest: string,
  ctx: VerifyContext,
): Promise<{ release: Release; skEvidence: SkEvidence[] }> {
  const root = ctx.trustRoot;
  const verified = await verifyEnvelope(
    envelope,
    TYP.release,
    (kid) => root.lookup(kid),
    `trust root v${root.version}`,
  );
  const { name, keyId } = campaign.coordinator;
  const signed = verified.signers.some((s) =>
    keyId === undefined ? root.ownerOf(s.keyId)?.name === name : s.keyId === keyId,
  );
  if (!signed)
    refuse(
      'release-unauthorized',
      `the release is not signed by ${keyId === undefined ? '' : `key ${keyId} of `}the campaign's coordinator ${name}`,
    );
  const release = parseStrictOrRefuse(releaseSchema, verified.payload, 'bad-payload', 'release');
  if (release.campaign.campaignId !== campaign.campaignId || release.campaign.digest !== digest) {
    refuse(
      'release-mismatch',
      `the release is for campaign ${release.campaign.campaignId} ` +
        `(${release.campaign.digest}), not ${campaign.campaignId} (${digest})`,
    );
  }
  const clock = { now: ctx.clock.now(), synced: await ctx.clock.isSynchronized() };
  if (!clock.synced)
    refuse('clock-unsynced', 'a release is valid for a time, and this clock is not synchronized (NTP)');
  if (Date.parse(release.issuedAt) - clock.now > 5 * 60_000)
    refuse('issued-in-future', `release issued at ${release.issuedAt}, ahead of this clock`);
  if (clock.now > Date.parse(release.notAfter))
    refuse('expired', `release ${release.releaseId} was valid until ${release.notAfter}`);
  return { release, skEvidence: keptUntil(verified.skEvidence, release.notAfter) };
}

/**
 * A campaign's (or release's) security-key signatures are presented again with every order
 * that carries them: kept until the document ends, so the same signature passes again while
 * any other one must still raise the key's counter (docs/rollouts.md, security keys).
 */
function keptUntil(evidence: readonly SkEvidence[], end: string): SkEvidence[] {
  return evidence.map((e) => ({ ...e, keepUntil: Date.parse(end) }));
}

/**
 * A campaign order: the campaign (verified like any order, against this agent's trust root
 * and local policy), this target's membership (an inclusion proof at a position of the
 * signed tree), and a release naming this target in its wave or a later one. Accepted, it
 * is the change request the campaign stands for, under one request id per campaign and
 * target, so no release (replayed, repeated, or another) starts a target twice.
 */
function changeRequestOf(campaign: Campaign, target: CampaignOrder['target']): ChangeRequest {
  return {
    v: 1,
    kind: 'change-request',
    requestId: targetRequestId(campaign.campaignId, target),
    agent: target.agent,
    router: target.router,
    issuedAt: campaign.issuedAt,
    window: campaign.window,
    requester: campaign.requester,
    change: campaign.change,
    digest: campaign.digest,
    method: campaign.method,
    activationTimeoutSeconds: campaign.activationTimeoutSeconds,
  };
}

/** Given the order's bytes or its reading (openCampaignOrder): each part is read once, here or at the door. */
export function verifyCampaignOrder(input: CampaignOrderInput, ctx: VerifyContext): Promise<CampaignVerdict> {
  return asVerdict(async () => {
    const opened = openCampaignOrder(input);
    const order = opened.order;
    // A root in the old format is refused before a campaign that could not be read, as when the campaign was read here.
    ctx.trustRoot.requireCurrentSchema();
    // Approvals first (in verifyCampaign): a campaign under threshold is refused as such, whatever else it carries.
    const { campaign, digest, verified, approverNames, requirement } = await verifyCampaign(
      partOf(opened.campaign),
      ctx,
    );
    checkTarget(order.target, ctx);
    const message = changeRequestOf(campaign, order.target);
    const signerKeyIds = verified.signers.map((s) => s.keyId);
    const accepted: Accepted<ChangeRequest> = {
      ok: true,
      message,
      approverNames,
      signerKeyIds,
      requirement,
      commit: () => Promise.resolve(),
    };
    const { index, path } = order.proof;
    const proven = verifyInclusion(
      targetLeaf(order.target),
      index,
      campaign.targets.count,
      path.map((p) => Buffer.from(p, 'base64url')),
      Buffer.from(campaign.targets.root, 'base64url'),
    );
    if (!proven)
      refuse(
        'not-in-campaign',
        `no proof that agent ${order.target.agent} with router ${JSON.stringify(order.target.router)} ` +
          `is target ${index} of campaign ${campaign.campaignId}`,
      );
    const { release, skEvidence: releaseEvidence } = await verifyRelease(partOf(opened.release), campaign, digest, ctx);
    const wave = waveOf(index, campaign.waves, campaign.targets.count);
    if (!release.targets.some((t) => sameTarget(t, order.target)))
      refuse('not-released', `release ${release.releaseId} does not name this target`);
    if (wave > release.wave)
      refuse('not-released', `this target is in wave ${wave}; release ${release.releaseId} opens wave ${release.wave}`);
    checkChangePolicy(message.change, message.method, { ...ctx.router, policy: ctx.policy });
    // A campaign's target is never scheduled: its release opens it now, inside the site's windows.
    const { clock } = await readFresh(accepted, { ...ctx, schedulable: false });
    const skEvidence = [...keptUntil(verified.skEvidence, campaign.window.notAfter), ...releaseEvidence];
    const settled = await settle(accepted, ctx, clock, skEvidence);
    return {
      ...settled,
      campaign: { campaignId: campaign.campaignId, digest, index, wave, releaseId: release.releaseId },
    };
  });
}
