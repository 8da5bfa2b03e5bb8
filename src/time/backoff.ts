/** How retry delays grow: from `initialMs`, times `factor` per failed attempt, up to `maxMs`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per failed attempt; default 2. */
  factor?: number;
}

/**
 * Delay before retry number `retry` (0 = the first): exponential, capped, and spread over
 * the upper half of its value ("equal jitter"), so that a site full of agents (or clients)
 * that lost the same peer does not come back in one burst. Never below 1 ms.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const factor = options.factor ?? 2;
  const ceiling = Math.min(options.maxMs, options.initialMs * factor ** Math.min(Math.max(0, retry), 30));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
