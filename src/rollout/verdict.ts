import type { AbortCriteria } from '../trust/campaign/schema.js';
import { TARGET_STATES } from '../mqtt/rollout-status.js';
import type { TargetState } from '../mqtt/rollout-status.js';

// The per-target states are part of the MQTT contract (the coordinator's retained status).
export { TARGET_STATES, type TargetState };

export const FINAL_TARGET_STATES: ReadonlySet<TargetState> = new Set([
  'succeeded',
  'failed',
  'timed-out',
  'refused',
  'cancelled',
]);
/** Executed targets that count as failures toward the abort criteria. */
const FAILURES: ReadonlySet<TargetState> = new Set(['failed', 'timed-out', 'refused']);

export type Counts = Record<TargetState, number>;

export function countStates(states: Iterable<TargetState>): Counts {
  const counts = Object.fromEntries(TARGET_STATES.map((s) => [s, 0])) as Counts;
  for (const s of states) counts[s]++;
  return counts;
}

export interface AbortVerdict {
  /** Targets that finished (succeeded or failed, timed out, refused). */
  executed: number;
  failures: number;
  abort: boolean;
  why: string;
}

/** The campaign's abort criteria over what has finished so far. Cancelled targets never executed. */
export function abortVerdict(counts: Counts, criteria: AbortCriteria): AbortVerdict {
  const failures = [...FAILURES].reduce((n, s) => n + counts[s], 0);
  const executed = failures + counts.succeeded;
  const percent = executed === 0 ? 0 : (failures * 100) / executed;
  const base = `${failures} of ${executed} executed failed`;
  if (executed < criteria.minExecuted)
    return { executed, failures, abort: false, why: `${base}; criteria apply from ${criteria.minExecuted} executed` };
  if (criteria.maxFailures !== undefined && failures >= criteria.maxFailures) {
    return { executed, failures, abort: true, why: `${base}: reached ${criteria.maxFailures} failures` };
  }
  if (criteria.maxFailurePercent !== undefined && percent > criteria.maxFailurePercent) {
    return {
      executed,
      failures,
      abort: true,
      why: `${base} (${percent.toFixed(1)}%): above ${criteria.maxFailurePercent}%`,
    };
  }
  return { executed, failures, abort: false, why: `${base}: within the abort criteria` };
}
