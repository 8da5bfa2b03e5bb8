import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { SerialQueue } from './serial-queue.js';

const HOUR_MS = 3600_000;

/**
 * Operations accepted per router in the last hour, persisted so a restart does not reset
 * the budget. Times are wall-clock: entries that look like they are in the future (the
 * clock went back) still count, which errs on the side of refusing.
 */
export class RateLimiter {
  readonly #path: string | undefined;
  readonly #queue = new SerialQueue();
  #events = new Map<string, number[]>();

  constructor(path?: string) {
    this.#path = path;
  }

  async load(): Promise<void> {
    if (!this.#path) return;
    const stored = await readJsonFile<{ routers?: Record<string, number[]> }>(this.#path);
    this.#events = new Map(Object.entries(stored?.routers ?? {}));
  }

  #recent(router: string, now: number): number[] {
    return (this.#events.get(router) ?? []).filter((t) => now - t < HOUR_MS);
  }

  /** How long until another operation fits, 0 when one fits now. */
  waitMs(router: string, maxPerHour: number, now: number): number {
    const recent = this.#recent(router, now).sort((a, b) => a - b);
    if (recent.length < maxPerHour) return 0;
    return Math.max(1, recent[recent.length - maxPerHour]! + HOUR_MS - now);
  }

  /** Takes one operation from the budget; false when none is left. */
  take(router: string, maxPerHour: number, now: number): Promise<boolean> {
    return this.#queue.run(async () => {
      const recent = this.#recent(router, now);
      if (recent.length >= maxPerHour) return false;
      this.#events.set(router, [...recent, now]);
      if (this.#path) await writeJsonAtomic(this.#path, { routers: Object.fromEntries(this.#events) });
      return true;
    });
  }
}
