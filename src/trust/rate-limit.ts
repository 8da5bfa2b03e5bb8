import { slotOf, writeStaged, type Staged, type StateSlot } from '../store/state-slot.js';
import { rebaseOffset, systemMonotonic, timelineNow, type Monotonic, type Timeline } from '../time/monotonic.js';
import { SerialQueue } from './serial-queue.js';

const HOUR_MS = 3600_000;

/** One accepted operation: wall time (for people) and monotonic time (what the window counts). */
interface Taken {
  at: number;
  mono: number;
}

interface StoredFile extends Partial<Timeline> {
  /** v1 files held wall times only; v2 entries carry a monotonic stamp on the file's timeline. */
  routers?: Record<string, Array<number | Taken>>;
}

/**
 * Operations accepted per router in the last hour, persisted so a restart does not reset
 * the budget. The hour is measured in monotonic time, so a wall clock stepped forward does
 * not refill the budget and one stepped back does not make it last forever. Across a reboot
 * the time the host was down is unknown and counts as none: an entry then counts for at
 * most one more hour of uptime, which errs on the side of refusing.
 */
export class RateLimiter {
  readonly #slot: StateSlot | undefined;
  readonly #monotonic: Monotonic;
  readonly #queue = new SerialQueue();
  #events = new Map<string, Taken[]>();

  /** A path (its own file), a slot (a section of the trust ledger), or nothing (memory only). */
  constructor(where?: string | StateSlot, options: { monotonic?: Monotonic } = {}) {
    this.#slot = slotOf(where);
    this.#monotonic = options.monotonic ?? systemMonotonic();
  }

  async load(): Promise<void> {
    if (!this.#slot) return;
    const stored = (await this.#slot.read()) as StoredFile | undefined;
    const offset = rebaseOffset(stored ?? undefined, this.#monotonic);
    this.#events = new Map(
      Object.entries(stored?.routers ?? {}).map(([router, list]) => [
        router,
        list.map((value): Taken =>
          typeof value === 'number' ? { at: value, mono: offset } : { at: value.at, mono: value.mono + offset },
        ),
      ]),
    );
  }

  /** Entries younger than an hour by the monotonic clock; a stamp ahead of it (cannot happen) counts. */
  #recent(router: string, mono: number): Taken[] {
    return (this.#events.get(router) ?? []).filter((e) => !(mono - e.mono >= HOUR_MS));
  }

  /** How long until another operation fits, 0 when one fits now. `now` (wall) is not used for the window. */
  waitMs(router: string, maxPerHour: number, _now?: number): number {
    const mono = this.#monotonic.nowMs();
    const recent = this.#recent(router, mono).sort((a, b) => a.mono - b.mono);
    if (recent.length < maxPerHour) return 0;
    return Math.max(1, Math.min(HOUR_MS, recent[recent.length - maxPerHour]!.mono + HOUR_MS - mono));
  }

  /** Takes one operation from the budget; false when none is left. `now` (wall) is recorded for people. */
  take(router: string, maxPerHour: number, now: number): Promise<boolean> {
    return this.#queue.run(async () => {
      const staged = this.stage(router, maxPerHour, now);
      if (!staged) return false;
      // Written first, then current: a failed write changes nothing.
      await writeStaged([staged]);
      return true;
    });
  }

  /**
   * One operation taken, not yet written (false when none is left): an order's commit writes
   * it with the other stores' changes. The caller keeps such commits one at a time.
   */
  stage(router: string, maxPerHour: number, now: number): Staged | false {
    const mono = this.#monotonic.nowMs();
    const recent = this.#recent(router, mono);
    if (recent.length >= maxPerHour) return false;
    const next = new Map(this.#events).set(router, [...recent, { at: now, mono }]);
    return {
      slot: this.#slot,
      value: { v: 2, ...timelineNow(this.#monotonic), routers: Object.fromEntries(next) },
      apply: () => (this.#events = next),
    };
  }
}
