// Shared builders for the campaign tests: a target tree with this agent as target 4, a
// signed campaign, a release of it, and the campaign order an agent receives.
import type { DeviceModeChange } from '../../src/routeros/device-mode.js';
import { buildCampaign, buildRelease, TargetTree } from '../../src/trust/campaign/build.js';
import type { Campaign, CampaignTarget, Release } from '../../src/trust/campaign/schema.js';
import { payloadDigest } from '../../src/trust/campaign/schema.js';
import type { Envelope } from '../../src/trust/jws.js';
import type { SigningKey } from '../../src/trust/keys.js';
import { TYP } from '../../src/trust/messages.js';
import { AGENT, keys, NOW, SERIAL, signExactly, text } from './fixtures.js';

export const SELF: CampaignTarget = { agent: AGENT, router: { serial: SERIAL } };
export const others = Array.from({ length: 9 }, (_, i): CampaignTarget => ({
  agent: `site${i + 2}-pi`,
  router: { serial: `HF00${i}` },
}));
/** Wave 0: two targets; wave 1: the rest. SELF is target 4, in wave 1. */
export const TARGETS = [...others.slice(0, 4), SELF, ...others.slice(4)];
export const TREE = new TargetTree(TARGETS);

export function campaignPayload(
  overrides: Partial<Campaign> = {},
  change: DeviceModeChange = { features: { container: true } },
  tree = TREE,
): Campaign {
  return {
    ...buildCampaign({
      campaignId: 'spring-2026-container',
      requester: { name: 'noc' },
      coordinator: { name: 'noc' },
      now: NOW - 3600_000,
      window: { notAfter: new Date(NOW + 2 * 86_400_000).toISOString() },
      change,
      method: 'power',
      activationTimeoutSeconds: 300,
      tree,
      waves: [{ count: 2, pauseSeconds: 60 }, { percent: 100 }],
      abort: { minExecuted: 2, maxFailures: 2 },
    }),
    ...overrides,
  };
}

export const digestOf = (envelope: Envelope) => payloadDigest(Buffer.from(envelope.payload, 'base64url'));

export async function signedCampaign(
  payload = campaignPayload(),
  signers: SigningKey[] = [keys.noc, keys.alice, keys.bob],
): Promise<Envelope> {
  return signExactly(payload, TYP.campaign, signers);
}

export function releaseFor(campaign: Envelope, overrides: Partial<Release> = {}): Release {
  return {
    ...buildRelease({
      campaign: { campaignId: 'spring-2026-container', digest: digestOf(campaign) },
      wave: 1,
      targets: [SELF],
      now: NOW - 60_000,
      validityMs: 3600_000,
      releaseId: 'release-wave-1',
    }),
    ...overrides,
  };
}

export async function order(
  parts: {
    campaign?: Envelope;
    release?: Release | Envelope;
    target?: CampaignTarget;
    proof?: { index: number; path: string[] };
    releaseSigners?: SigningKey[];
  } = {},
): Promise<string> {
  const campaign = parts.campaign ?? (await signedCampaign());
  const rel = parts.release ?? releaseFor(campaign);
  const release = 'signatures' in rel ? rel : await signExactly(rel, TYP.release, parts.releaseSigners ?? [keys.noc]);
  const target = parts.target ?? SELF;
  return text({
    v: 1,
    kind: 'campaign-order',
    campaign,
    target,
    proof: parts.proof ?? TREE.proof(TREE.indexOf(target)),
    release,
  });
}
