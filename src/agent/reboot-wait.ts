import type { RouterResource } from '../routeros/parse.js';
import { rebootedSince } from '../routeros/reboot.js';

export interface UptimeReader {
  readResource(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<RouterResource>;
  /** Skip the rest of a reconnect backoff: we expect the router back and poll for it ourselves. */
  retryNow?(): void;
}

/** The router's uptime read before acting, and when on the agent's monotonic clock. */
export interface UptimeBefore {
  seconds: number;
  atMonoMs: number;
}

export interface RebootWaitOptions {
  uptimeBefore?: UptimeBefore;
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type RebootWaitResult =
  /** rebooted is undefined when there was no baseline and the router never went away: unknown. */
  | { back: true; rebooted: boolean | undefined; uptimeSeconds: number; waitedMs: number }
  | { back: false; waitedMs: number; lastError: string };

/**
 * Waits until the router answers again after an action, and tells whether it rebooted: its
 * uptime is smaller than it would be had it kept running. A router may keep answering for
 * a moment after a button press before it goes down, so answers without that evidence do
 * not end the wait; one that answers until the timeout without rebooting comes back
 * `rebooted: false` (the action did not reach it). Without a baseline (after an agent
 * restart) the first answer counts as back.
 */
export async function waitForReboot(reader: UptimeReader, options: RebootWaitOptions): Promise<RebootWaitResult> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? 250;
  const start = now();
  let lastError = 'no answer yet';
  let sawDown = false;
  let answered: number | undefined;
  while (now() - start < options.timeoutMs) {
    if (options.signal?.aborted) break;
    try {
      const sentAtMs = now();
      const resource = await reader.readResource({
        timeoutMs: Math.max(pollMs * 4, 2000),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const before = options.uptimeBefore;
      if (!before)
        return {
          back: true,
          rebooted: sawDown ? true : undefined,
          uptimeSeconds: resource.uptimeSeconds,
          waitedMs: now() - start,
        };
      const baseline = { uptimeSeconds: before.seconds, atMs: before.atMonoMs };
      if (rebootedSince(baseline, { uptimeSeconds: resource.uptimeSeconds, sentAtMs })) {
        return { back: true, rebooted: true, uptimeSeconds: resource.uptimeSeconds, waitedMs: now() - start };
      }
      answered = resource.uptimeSeconds;
    } catch (error) {
      sawDown = true;
      lastError = error instanceof Error ? error.message : String(error);
      // The client's backoff grew while the router was off; our own poll paces the attempts.
      reader.retryNow?.();
    }
    await sleep(pollMs);
  }
  if (answered !== undefined) return { back: true, rebooted: false, uptimeSeconds: answered, waitedMs: now() - start };
  return { back: false, waitedMs: now() - start, lastError };
}
