/**
 * Reconnect delay for attempt `n` (0 = first): doubles from `minMs` up to `maxMs`, and
 * each value is spread over its upper half so that a site full of agents that lost the
 * same broker does not come back in one burst ("equal jitter").
 */
export function nextBackoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const half = exp / 2;
  return Math.max(1, Math.round(half + random() * half));
}
