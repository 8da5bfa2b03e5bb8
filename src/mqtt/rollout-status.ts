/**
 * The rollout coordinator's status (issue 12), part of the MQTT contract: retained, so
 * `dmconfirm rollout status --broker` works from any machine, also while the coordinator is
 * down. Small whatever the fleet: the summary (counts, abort verdict, phase) is one message;
 * per-target states are in pages of at most ROLLOUT_PAGE_SIZE targets, each republished only
 * when one of its targets changed.
 *
 *   <base>/rollouts/<campaignId>/summary          retained  rolloutSummarySchema
 *   <base>/rollouts/<campaignId>/targets/<page>   retained  rolloutPageSchema, page 0..pages-1
 */
import { z } from 'zod';
import { routerRefSchema, timestamp } from '../trust/messages.js';

/** What becomes of each target of a campaign (docs/rollouts.md). */
export const TARGET_STATES = [
  'queued',
  'released',
  'in-progress',
  'succeeded',
  'failed',
  'timed-out',
  'refused',
  'cancelled',
] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export const ROLLOUT_PAGE_SIZE = 200;
/** The summary is published again at least this often while the campaign runs: its `at` says the coordinator lives. */
export const ROLLOUT_HEARTBEAT_SECONDS = 60;
/** Retained status expires (MQTT 5 message expiry) this long after its last publication. */
export const ROLLOUT_STATUS_EXPIRY_SECONDS = 30 * 86_400;

const count = z.number().int().nonnegative();
const campaignId = z.string().regex(/^[A-Za-z0-9_.:-]{8,64}$/);
export const ROLLOUT_PHASES = ['running', 'paused', 'aborting', 'finished'] as const;

export const rolloutSummarySchema = z.strictObject({
  v: z.literal(1),
  campaignId,
  /** The campaign's payload digest: a page of another campaign with the same id is not this one's. */
  digest: z.string().max(128),
  /** When the coordinator published this (at least every ROLLOUT_HEARTBEAT_SECONDS until finished). */
  at: timestamp,
  phase: z.enum(ROLLOUT_PHASES),
  wavesReleased: count,
  waves: count,
  counts: z.strictObject(Object.fromEntries(TARGET_STATES.map((s) => [s, count])) as Record<string, typeof count>),
  abort: z.strictObject({ criteria: z.string().max(300), met: z.boolean(), why: z.string().max(300) }),
  aborted: z
    .strictObject({ at: timestamp, by: z.enum(['criterion', 'operator']), why: z.string().max(500) })
    .optional(),
  finishedAt: timestamp.optional(),
  targets: z.strictObject({ count, pageSize: z.number().int().positive(), pages: count }),
});
export type RolloutSummary = z.infer<typeof rolloutSummarySchema>;

export const rolloutTargetSchema = z.strictObject({
  index: count,
  site: z.string().max(128),
  agent: z.string().max(128),
  router: routerRefSchema,
  wave: count,
  state: z.enum(TARGET_STATES),
  updatedAt: timestamp.optional(),
  code: z.string().max(64).optional(),
  detail: z.string().max(300).optional(),
});
export type RolloutTargetStatus = z.infer<typeof rolloutTargetSchema>;

export const rolloutPageSchema = z.strictObject({
  v: z.literal(1),
  campaignId,
  digest: z.string().max(128),
  at: timestamp,
  page: count,
  pages: count,
  targets: z.array(rolloutTargetSchema).max(ROLLOUT_PAGE_SIZE),
});
export type RolloutPage = z.infer<typeof rolloutPageSchema>;
