import { createHash } from 'node:crypto';
import { z } from 'zod';
import { deviceModeChangeSchema } from '../change.js';
import { agentId, id, requesterSchema, routerRefSchema, timestamp, windowSchema } from '../messages.js';
import type { RouterRef } from '../messages.js';
import { leafHash } from './merkle.js';

/**
 * Issue 12: a campaign is one document approvers sign once (M-of-N, the trust root's rules
 * for its change). Its targets are only a Merkle root (RFC 9162, merkle.ts) and a count:
 * each agent receives its own inclusion proof, never the list. A release, signed by the
 * coordinator the campaign names, says which targets may start now; it approves nothing.
 */
export const campaignIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{8,64}$/, 'must be 8-64 letters, digits or _.:-');
/** base64url SHA-256, 43 characters. */
export const hashB64 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256');

export const MAX_TARGETS = 1_000_000;
export const MAX_RELEASE_TARGETS = 500;
/** A release is short-lived: it opens targets now, not next week. */
export const MAX_RELEASE_VALIDITY_MS = 24 * 3600_000;

export const campaignTargetSchema = z.strictObject({ agent: agentId, router: routerRefSchema });
export type CampaignTarget = z.infer<typeof campaignTargetSchema>;

/** One wave: a count of targets or a percentage of all of them (rounded up), then a pause before the next. */
export const waveSchema = z
  .strictObject({
    count: z.number().int().min(1).max(MAX_TARGETS).optional(),
    percent: z.number().gt(0).max(100).optional(),
    pauseSeconds: z.number().int().min(0).max(86_400).optional(),
  })
  .refine((w) => (w.count === undefined) !== (w.percent === undefined), { message: 'a wave has a count or a percent' });
export type Wave = z.infer<typeof waveSchema>;

/**
 * Stop releasing once at least `minExecuted` targets have finished and failures (failed,
 * timed out, refused) reach `maxFailures` or exceed `maxFailurePercent` of those finished.
 */
export const abortSchema = z
  .strictObject({
    minExecuted: z.number().int().min(1).max(MAX_TARGETS),
    maxFailures: z.number().int().min(1).max(MAX_TARGETS).optional(),
    maxFailurePercent: z.number().min(0).max(100).optional(),
  })
  .refine((a) => a.maxFailures !== undefined || a.maxFailurePercent !== undefined, {
    message: 'give maxFailures or maxFailurePercent',
  });
export type AbortCriteria = z.infer<typeof abortSchema>;

export const campaignSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('campaign'),
  campaignId: campaignIdSchema,
  /** Who asks (requester role); never counts toward approval. */
  requester: requesterSchema,
  /** Who may sign releases: an identity of the trust root with the requester role, approved here by name. */
  coordinator: requesterSchema,
  issuedAt: timestamp,
  /** A campaign always ends: notAfter is required (and at most 14 days after issuedAt, as for any order). */
  window: windowSchema.and(z.strictObject({ notBefore: timestamp.optional(), notAfter: timestamp })),
  change: deviceModeChangeSchema,
  digest: z.string(),
  method: z.enum(['button', 'power']),
  activationTimeoutSeconds: z.number().int().min(10).max(86_400),
  targets: z.strictObject({
    tree: z.literal('rfc9162-sha256'),
    root: hashB64,
    count: z.number().int().min(1).max(MAX_TARGETS),
  }),
  waves: z.array(waveSchema).min(1).max(100),
  abort: abortSchema,
  note: z.string().max(500).optional(),
});
export type Campaign = z.infer<typeof campaignSchema>;

export const releaseSchema = z
  .strictObject({
    v: z.literal(1),
    kind: z.literal('release'),
    releaseId: id,
    /** The campaign by id and by the SHA-256 of its exact signed payload bytes. */
    campaign: z.strictObject({ campaignId: campaignIdSchema, digest: hashB64 }),
    /** The wave this release opens: no target of a later wave may start on it. */
    wave: z.number().int().min(0).max(99),
    targets: z.array(campaignTargetSchema).min(1).max(MAX_RELEASE_TARGETS),
    issuedAt: timestamp,
    notAfter: timestamp,
  })
  .refine((r) => Date.parse(r.issuedAt) < Date.parse(r.notAfter), { message: 'notAfter must be after issuedAt' })
  .refine((r) => Date.parse(r.notAfter) - Date.parse(r.issuedAt) <= MAX_RELEASE_VALIDITY_MS, {
    message: 'a release is valid 24 h at most',
  });
export type Release = z.infer<typeof releaseSchema>;

const envelope = z.strictObject({ payload: z.string(), signatures: z.array(z.unknown()) });

/** What an agent receives on its `release` topic: the campaign, its proof of membership, the release. */
export const campaignOrderSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('campaign-order'),
  campaign: envelope,
  target: campaignTargetSchema,
  proof: z.strictObject({
    index: z
      .number()
      .int()
      .min(0)
      .max(MAX_TARGETS - 1),
    path: z.array(hashB64).max(64),
  }),
  release: envelope,
});
export type CampaignOrder = z.infer<typeof campaignOrderSchema>;
export const MAX_ORDER_BYTES = 3 * 64 * 1024;

function routerPart(router: RouterRef): string {
  return router.serial !== undefined ? `serial:${router.serial}` : `system-id:${router.systemId ?? ''}`;
}

/** Leaf data: a fixed prefix, agent id and router; no field can contain the NUL separator. */
export function targetLeaf(target: CampaignTarget): Buffer {
  return leafHash(Buffer.from(`dmconfirm-campaign-target/1\0${target.agent}\0${routerPart(target.router)}`, 'utf8'));
}

export function sameTarget(a: CampaignTarget, b: CampaignTarget): boolean {
  return a.agent === b.agent && a.router.serial === b.router.serial && a.router.systemId === b.router.systemId;
}

/** The request id a target's operation runs under: one per campaign and target, whatever releases say. */
export function targetRequestId(campaignId: string, target: CampaignTarget): string {
  return `${campaignId}.${targetLeaf(target).toString('base64url').slice(0, 22)}`;
}

export function payloadDigest(payload: Uint8Array): string {
  return createHash('sha256').update(payload).digest('base64url');
}

/** Wave sizes over `count` targets in tree order; the last wave takes whatever the listed sizes leave. */
export function waveSizes(waves: readonly Wave[], count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  for (const [i, wave] of waves.entries()) {
    const want = wave.count ?? Math.ceil(((wave.percent ?? 0) * count) / 100);
    const size = i === waves.length - 1 ? left : Math.min(want, left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** The wave of the target at `index` (0-based, tree order). */
export function waveOf(index: number, waves: readonly Wave[], count: number): number {
  let end = 0;
  for (const [wave, size] of waveSizes(waves, count).entries()) {
    end += size;
    if (index < end) return wave;
  }
  return waves.length - 1;
}
