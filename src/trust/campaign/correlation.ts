import { messageDigest } from '../../mqtt/contract.js';
import type { InboundCorrelation } from '../../mqtt/contract.js';
import { campaignIdSchema, campaignTargetSchema, targetRequestId } from './schema.js';

/**
 * Where to answer a campaign order, read without verifying anything: the request id of its
 * target (campaign id + target), which is what the coordinator follows. Verification then
 * decides; a forgery naming someone else's target is answered there with its refusal.
 */
export function campaignCorrelation(payload: Uint8Array | string): InboundCorrelation {
  const digest = messageDigest(payload);
  try {
    const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
    const outer = JSON.parse(text) as { campaign?: { payload?: unknown }; target?: unknown };
    if (typeof outer.campaign?.payload !== 'string') return { requestId: undefined, digest };
    const inner = JSON.parse(Buffer.from(outer.campaign.payload, 'base64url').toString('utf8')) as {
      campaignId?: unknown;
    };
    const id = campaignIdSchema.safeParse(inner.campaignId);
    const target = campaignTargetSchema.safeParse(outer.target);
    return { requestId: id.success && target.success ? targetRequestId(id.data, target.data) : undefined, digest };
  } catch {
    return { requestId: undefined, digest };
  }
}
