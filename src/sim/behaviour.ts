import { z } from 'zod';
import { versionAtLeast } from './profiles.js';

/**
 * The simulator's vocabulary for how a RouterOS device behaves where routers (or versions)
 * may differ or where nobody here has measured yet. Each is a simulator option, and
 * `dmconfirm probe` names what it observes on a real router in exactly these words.
 */
export const behaviourSchema = z
  .object({
    progressWhilePending: z
      .boolean()
      .describe('the update command sends `!re` progress sentences while its change is pending'),
    stallOthersWhilePending: z.boolean().describe('other API sessions get no answer while a change is pending'),
    abandonedUpdate: z
      .enum(['stays-pending', 'cancels'])
      .describe('what `/cancel` (or closing the connection) does to a pending update'),
    attemptCountRises: z
      .enum(['at-request', 'at-end'])
      .describe('attempt-count rises when the update is requested, or when an unconfirmed attempt ends'),
    emptyReplies: z.boolean().describe('a command without data answers `!empty` before `!done` (7.18+)'),
    rebootReply: z
      .enum(['drops', 'done'])
      .describe('`/system/reboot` drops the session without an answer, or answers `!done` first'),
  })
  .strict();

export type RouterBehaviour = z.infer<typeof behaviourSchema>;
export type BehaviourName = keyof RouterBehaviour;
export const BEHAVIOUR_NAMES = Object.keys(behaviourSchema.shape) as BehaviourName[];

/** The simulator's defaults for a RouterOS version (what it believes until a probe says otherwise). */
export function defaultBehaviour(routerosVersion: string): RouterBehaviour {
  return {
    progressWhilePending: false,
    stallOthersWhilePending: false,
    abandonedUpdate: 'stays-pending',
    attemptCountRises: 'at-request',
    emptyReplies: versionAtLeast(routerosVersion, '7.18'),
    rebootReply: 'drops',
  };
}

/** Every value each behaviour can take (for the probe's round-trip test and `doctor`). */
export const BEHAVIOUR_VALUES: { [K in BehaviourName]: ReadonlyArray<RouterBehaviour[K]> } = {
  progressWhilePending: [false, true],
  stallOthersWhilePending: [false, true],
  abandonedUpdate: ['stays-pending', 'cancels'],
  attemptCountRises: ['at-request', 'at-end'],
  emptyReplies: [false, true],
  rebootReply: ['drops', 'done'],
};
