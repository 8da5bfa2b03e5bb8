import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { rebaseOffset, systemMonotonic, timelineNow, type Monotonic, type Timeline } from '../time/monotonic.js';
import { SerialQueue } from './serial-queue.js';

export const DEFAULT_REPLAY_RETENTION_MS = 30 * 24 * 3600_000;

/** When an id was accepted: wall time (for people) and monotonic time (for expiry). */
interface Seen {
  at: number;
  mono: number;
}

interface StoredFile extends Partial<Timeline> {
  /** v1 files held wall times only; v2 entries carry a monotonic stamp on the file's timeline. */
  seen?: Record<string, number | Seen>;
}

/**
 * Request ids already accepted, kept across restarts so a replayed message is refused.
 * Bounded: the oldest go first beyond the capacity, and an entry expires only when the
 * clock is synchronized AND both wall time and monotonic time say the retention has
 * passed. Wall time alone never forgets an id: a clock stepped forward (a wrong NTP
 * server, an admin's `date`) and then corrected back would otherwise have emptied the
 * memory while the messages it guarded are valid again. Monotonic time between boots is
 * unknown and counts as none (ids are kept longer). The retention must exceed the maximum
 * message age, so an id that has been forgotten belongs to a message too old to be
 * accepted anyway.
 */
export class ReplayStore {
  readonly #path: string | undefined;
  readonly #capacity: number;
  readonly #retentionMs: number;
  readonly #monotonic: Monotonic;
  readonly #queue = new SerialQueue();
  #seen = new Map<string, Seen>();

  constructor(path?: string, options: { capacity?: number; retentionMs?: number; monotonic?: Monotonic } = {}) {
    this.#path = path;
    this.#capacity = options.capacity ?? 10_000;
    this.#retentionMs = options.retentionMs ?? DEFAULT_REPLAY_RETENTION_MS;
    this.#monotonic = options.monotonic ?? systemMonotonic();
  }

  get retentionMs(): number {
    return this.#retentionMs;
  }

  async load(): Promise<void> {
    if (!this.#path) return;
    const stored = await readJsonFile<StoredFile>(this.#path);
    const offset = rebaseOffset(stored ?? undefined, this.#monotonic);
    const entries = Object.entries(stored?.seen ?? {}).map(([id, value]): [string, Seen] =>
      typeof value === 'number' ? [id, { at: value, mono: offset }] : [id, { at: value.at, mono: value.mono + offset }],
    );
    // Oldest first, so capacity drops the oldest; v1 entries keep their wall-time order.
    this.#seen = new Map(entries.sort(([, a], [, b]) => a.mono - b.mono || a.at - b.at));
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
      const mono = this.#monotonic.nowMs();
      const next = new Map(this.#seen).set(id, { at: now, mono });
      if (clockSynced) {
        for (const [key, entry] of next) {
          if (now - entry.at > this.#retentionMs && mono - entry.mono > this.#retentionMs) next.delete(key);
        }
      }
      while (next.size > this.#capacity) next.delete(next.keys().next().value!);
      // Written first, then current: a failed write changes nothing.
      if (this.#path) await writeJsonAtomic(this.#path, { v: 2, ...timelineNow(this.#monotonic), seen: Object.fromEntries(next) });
      this.#seen = next;
      return true;
    });
  }
}
