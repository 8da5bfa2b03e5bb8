import { slotOf, writeStaged, type Staged, type StateSlot } from '../store/state-slot.js';
import { rebaseOffset, systemMonotonic, timelineNow, type Monotonic, type Timeline } from '../time/monotonic.js';
import { SerialQueue } from './serial-queue.js';

export const DEFAULT_REPLAY_RETENTION_MS = 30 * 24 * 3600_000;

/** When an id was accepted: wall time (for people) and monotonic time (for expiry). */
interface Seen {
  at: number;
  mono: number;
  /** The challenge an approval used: a restart finds which approval an unfinished operation had. */
  challenge?: string;
}

interface StoredFile extends Partial<Timeline> {
  /** v1 files held wall times only; v2 entries carry a monotonic stamp on the file's timeline. */
  seen?: Record<string, number | Seen>;
}

/**
 * Request ids already accepted, kept across restarts so a replayed message is refused.
 * Never evicted by count: an id is forgotten only when the clock is synchronized AND both
 * wall time and monotonic time say the retention has passed. The memory is bounded by what
 * can be accepted (each id took one operation of a router's hourly rate budget), not by
 * dropping ids whose message could still be valid: see the README (Trust model, Freshness). Wall time alone never
 * forgets an id: a clock stepped forward (a wrong NTP
 * server, an admin's `date`) and then corrected back would otherwise have emptied the
 * memory while the messages it guarded are valid again. Monotonic time between boots is
 * unknown and counts as none (ids are kept longer). The retention must exceed the maximum
 * message age, so an id that has been forgotten belongs to a message too old to be
 * accepted anyway.
 */
export class ReplayStore {
  readonly #slot: StateSlot | undefined;
  readonly #retentionMs: number;
  readonly #monotonic: Monotonic;
  readonly #queue = new SerialQueue();
  #seen = new Map<string, Seen>();

  /** A path (its own file), a slot (a section of the trust ledger), or nothing (memory only). */
  constructor(where?: string | StateSlot, options: { retentionMs?: number; monotonic?: Monotonic } = {}) {
    this.#slot = slotOf(where);
    this.#retentionMs = options.retentionMs ?? DEFAULT_REPLAY_RETENTION_MS;
    this.#monotonic = options.monotonic ?? systemMonotonic();
  }

  get retentionMs(): number {
    return this.#retentionMs;
  }

  async load(): Promise<void> {
    if (!this.#slot) return;
    const stored = (await this.#slot.read()) as StoredFile | undefined;
    const offset = rebaseOffset(stored ?? undefined, this.#monotonic);
    const entries = Object.entries(stored?.seen ?? {}).map(([id, value]): [string, Seen] =>
      typeof value === 'number' ? [id, { at: value, mono: offset }] : [id, { ...value, mono: value.mono + offset }],
    );
    // Oldest first (monotonic order), so expiry can stop at the first id still retained.
    this.#seen = new Map(entries.sort(([, a], [, b]) => a.mono - b.mono || a.at - b.at));
  }

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  get size(): number {
    return this.#seen.size;
  }

  /** The request id of the approval that used this challenge, if one did. */
  acceptedFor(challengeId: string): string | undefined {
    for (const [id, seen] of this.#seen) if (seen.challenge === challengeId) return id;
    return undefined;
  }

  /** Records the id; false when it was already there. Durable before it resolves true. */
  remember(id: string, now: number, clockSynced: boolean, challengeId?: string): Promise<boolean> {
    return this.#queue.run(async () => {
      const staged = this.stage(id, now, clockSynced, challengeId);
      if (!staged) return false;
      // Written first, then current: a failed write changes nothing.
      await writeStaged([staged]);
      return true;
    });
  }

  /**
   * Runs `task` alone among this store's changes: an order's commit stages the id here and
   * writes it together with the other stores' changes (one write), with no other id in between.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#queue.run(task);
  }

  /** The id recorded, not yet written: false when it is already there. Call inside exclusive(). */
  stage(id: string, now: number, clockSynced: boolean, challengeId?: string): Staged | false {
    if (this.#seen.has(id)) return false;
    const mono = this.#monotonic.nowMs();
    const expired = clockSynced ? this.#expired(now, mono) : new Set<string>();
    const kept = [...this.#seen].filter(([key]) => !expired.has(key));
    const entry: Seen = { at: now, mono, ...(challengeId === undefined ? {} : { challenge: challengeId }) };
    const seen = Object.fromEntries([...kept, [id, entry]]);
    return {
      slot: this.#slot,
      value: { v: 2, ...timelineNow(this.#monotonic), seen },
      apply: () => {
        for (const key of expired) this.#seen.delete(key);
        this.#seen.set(id, entry);
      },
    };
  }

  /** Ids past the retention by wall AND monotonic time; scans from the oldest (monotonic order). */
  #expired(now: number, mono: number): Set<string> {
    const expired = new Set<string>();
    for (const [key, entry] of this.#seen) {
      if (mono - entry.mono <= this.#retentionMs) break;
      if (now - entry.at > this.#retentionMs) expired.add(key);
    }
    return expired;
  }
}
