import { z } from 'zod';
import { currentBootId, monotonicNowMs } from './monotonic.js';

/**
 * A deadline both ways: wall time (meaningful to people, wrong until the clock syncs) and
 * CLOCK_MONOTONIC (right, but only within the boot that wrote it: hence the boot id).
 */
export const deadlineSchema = z.strictObject({
  wall: z.string().optional(),
  monotonicMs: z.number().optional(),
  bootId: z.string().optional(),
});
export type Deadline = z.infer<typeof deadlineSchema>;

export function deadlineIn(ms: number, now: Date, bootId = currentBootId(), monotonic = monotonicNowMs()): Deadline {
  return {
    wall: new Date(now.getTime() + ms).toISOString(),
    monotonicMs: monotonic + ms,
    ...(bootId ? { bootId } : {}),
  };
}

/** Milliseconds left by the monotonic clock; undefined when written in another boot (unknown). */
export function monotonicRemainingMs(
  deadline: Deadline,
  bootId = currentBootId(),
  monotonic = monotonicNowMs(),
): number | undefined {
  if (deadline.monotonicMs === undefined || !deadline.bootId || deadline.bootId !== bootId) return undefined;
  return deadline.monotonicMs - monotonic;
}
