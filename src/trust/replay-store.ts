import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { SerialQueue } from './serial-queue.js';

export const DEFAULT_REPLAY_RETENTION_MS = 30 * 24 * 3600_000;

/**
 * Request ids already accepted, kept across restarts so a replayed message is refused.
 * Bounded: entries older than the retention are dropped, but only while the clock is
 * synchronized (a clock that jumped forward must not empty the memory), and the oldest go
 * first beyond the capacity. The retention must exceed the maximum message age, so an
 * id that has been forgotten belongs to a message too old to be accepted anyway.
 */
export class ReplayStore {
  readonly #path: string | undefined;
  readonly #capacity: number;
  readonly #retentionMs: number;
  readonly #queue = new SerialQueue();
  #seen = new Map<string, number>();

  constructor(path?: string, options: { capacity?: number; retentionMs?: number } = {}) {
    this.#path = path;
    this.#capacity = options.capacity ?? 10_000;
    this.#retentionMs = options.retentionMs ?? DEFAULT_REPLAY_RETENTION_MS;
  }

  get retentionMs(): number {
    return this.#retentionMs;
  }

  async load(): Promise<void> {
    if (!this.#path) return;
    const stored = await readJsonFile<{ seen?: Record<string, number> }>(this.#path);
    this.#seen = new Map(Object.entries(stored?.seen ?? {}).sort(([, a], [, b]) => a - b));
  }

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Records the id; false when it was already there. Durable before it resolves true. */
  remember(id: string, now: number, clockSynced: boolean): Promise<boolean> {
    return this.#queue.run(async () => {
      if (this.#seen.has(id)) return false;
      this.#seen.set(id, now);
      if (clockSynced) {
        for (const [key, at] of this.#seen) if (now - at > this.#retentionMs) this.#seen.delete(key);
      }
      while (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.keys().next().value!);
      if (this.#path) await writeJsonAtomic(this.#path, { seen: Object.fromEntries(this.#seen) });
      return true;
    });
  }
}
