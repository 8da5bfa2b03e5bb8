import { messageDigest } from '../../mqtt/contract.js';
import type { InboundCorrelation } from '../../mqtt/contract.js';
import type { OpenedCampaignOrder } from './order-read.js';
import { campaignIdSchema, campaignTargetSchema, targetRequestId } from './schema.js';

/**
 * Where to answer a campaign order, read without verifying anything: the request id of its
 * target (campaign id + target), which is what the coordinator follows. Verification then
 * decides; a forgery naming someone else's target is answered there with its refusal.
 * Given the order's reading (openCampaignOrder), the ids are taken from it; a part that
 * could not be read strictly (or an order that could not be read at all) is read leniently
 * here, so its refusal still reaches the target's topic.
 */
export function campaignCorrelation(payload: Uint8Array | string, opened?: OpenedCampaignOrder): InboundCorrelation {
  const digest = messageDigest(payload);
  if (opened?.campaign.ok) {
    const campaignId = (opened.campaign.value.payload as { campaignId?: unknown } | null)?.campaignId;
    return { requestId: requestIdOf(campaignId, opened.order.target), digest };
  }
  try {
    const outer =
      opened?.order ??
      (JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8')) as {
        campaign?: { payload?: unknown };
        target?: unknown;
      });
    if (typeof outer.campaign?.payload !== 'string') return { requestId: undefined, digest };
    const inner = JSON.parse(Buffer.from(outer.campaign.payload, 'base64url').toString('utf8')) as {
      campaignId?: unknown;
    };
    return { requestId: requestIdOf(inner.campaignId, outer.target), digest };
  } catch {
    return { requestId: undefined, digest };
  }
}

function requestIdOf(campaignId: unknown, target: unknown): string | undefined {
  const id = campaignIdSchema.safeParse(campaignId);
  const parsed = campaignTargetSchema.safeParse(target);
  return id.success && parsed.success ? targetRequestId(id.data, parsed.data) : undefined;
}
