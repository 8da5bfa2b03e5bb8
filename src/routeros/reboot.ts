/**
 * The one reboot detector. RouterOS reports uptime in whole seconds; a router that kept
 * running since a baseline shows at least the baseline's uptime plus the time between the
 * two readings, less that rounding. Times are taken so that read latency can only hide a
 * reboot, never invent one: the baseline's time is when its reply arrived (the router read
 * its uptime no later), the later reading's time is when its request left (no earlier).
 */

/** Whole-second uptime (up to 1 s lost to rounding) plus 0.5 s of margin: the only slack, for every path. */
export const REBOOT_SLACK_S = 1.5;

export interface UptimeBaseline {
  uptimeSeconds: number;
  /** Monotonic ms when the reading's reply arrived (or the moment of an action, uptime 0 unknown). */
  atMs: number;
}

export interface UptimeSample {
  uptimeSeconds: number;
  /** Monotonic ms (same clock as the baseline) when this reading's request was sent. */
  sentAtMs: number;
}

/** True when `later` proves a restart since `base`: uptime went back, or fell short by more than the slack. */
export function rebootedSince(base: UptimeBaseline, later: UptimeSample): boolean {
  if (later.uptimeSeconds < base.uptimeSeconds) return true;
  const elapsedS = Math.max(0, (later.sentAtMs - base.atMs) / 1000);
  return later.uptimeSeconds + REBOOT_SLACK_S < base.uptimeSeconds + elapsedS;
}
