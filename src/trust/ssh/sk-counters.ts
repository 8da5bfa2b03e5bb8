import { slotOf, writeStaged, type Staged, type StateSlot } from '../../store/state-slot.js';
import { refuse } from '../refusal.js';
import { SerialQueue } from '../serial-queue.js';
import type { SkEvidence } from './sshsig-verify.js';

interface StoredCounters {
  v: 1;
  /** Last accepted signature counter per security-key fingerprint. */
  counters: Record<string, number>;
  /** Accepted campaign and release signatures, per fingerprint: assertion -> accepted again until (ms). */
  kept?: Record<string, Record<string, number>>;
}
type Kept = Map<string, ReadonlyMap<string, number>>;

const isUint32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;

/**
 * The highest signature counter accepted per security key, kept across restarts. A FIDO
 * key raises its counter on every signature, so a counter at or below the last accepted one
 * is a replayed (or cloned-key) signature. Checked during verification, advanced only when
 * the whole message is accepted, so a message refused for another reason burns nothing.
 *
 * One signature that many orders carry (a campaign's: every target of this agent, every
 * restart, every re-sent release) is kept once accepted: the same assertion is accepted again
 * until its `keepUntil` (the campaign's window end, the release's notAfter), whatever counters
 * came since; any other assertion must still rise above the last counter (docs/rollouts.md).
 */
export class SkCounterStore {
  readonly #slot: StateSlot | undefined;
  readonly #where: string;
  readonly #queue = new SerialQueue();
  #counters = new Map<string, number>();
  #kept: Kept = new Map();

  /** A path (its own file), a slot (a section of the trust ledger), or nothing (memory only). */
  constructor(where?: string | StateSlot) {
    this.#slot = slotOf(where);
    this.#where = typeof where === 'string' ? where : 'security-key counters';
  }

  async load(): Promise<void> {
    if (!this.#slot) return;
    const stored = (await this.#slot.read()) as StoredCounters | undefined;
    const entries = Object.entries(stored?.counters ?? {});
    for (const [fingerprint, counter] of entries) {
      if (!isUint32(counter)) {
        throw new Error(`${this.#where}: counter of ${fingerprint} is not a uint32 (${String(counter)})`);
      }
    }
    const kept = Object.entries(stored?.kept ?? {}).map(([fingerprint, assertions]) => {
      const list = Object.entries(assertions);
      if (list.some(([, until]) => !Number.isSafeInteger(until)))
        throw new Error(`${this.#where}: a kept signature of ${fingerprint} has no valid end time`);
      return [fingerprint, new Map(list)] as const;
    });
    this.#counters = new Map(entries);
    this.#kept = new Map(kept);
  }

  last(fingerprint: string): number | undefined {
    return this.#counters.get(fingerprint);
  }

  /** This very signature was accepted before as one many orders carry, and is still kept at `now`. */
  isKept(evidence: SkEvidence, now: number): boolean {
    return (this.#kept.get(evidence.fingerprint)?.get(evidence.assertion) ?? -Infinity) >= now;
  }

  /** Refuses a signature whose counter does not rise above the last accepted one. */
  check(evidence: SkEvidence, at: string): void {
    const last = this.#counters.get(evidence.fingerprint);
    if (last !== undefined && evidence.counter <= last) {
      refuse(
        'sk-counter-replayed',
        `${at}: security key ${evidence.fingerprint} signature counter ${evidence.counter} ` +
          `is not above ${last}, the last accepted: ` +
          'a replayed signature (or a cloned key)',
      );
    }
  }

  /** Records the counters of an accepted message; durable before it resolves. */
  advance(evidence: readonly SkEvidence[], now = Date.now()): Promise<void> {
    return this.#queue.run(async () => {
      const staged = this.stage(evidence, now);
      if (staged) await writeStaged([staged]);
    });
  }

  /**
   * The counters of an accepted message checked (refused unless each rises) and computed,
   * not yet written: an order's commit writes them with the other stores' changes, one
   * commit at a time. Undefined when there is nothing to record.
   */
  stage(evidence: readonly SkEvidence[], now: number): Staged | undefined {
    if (evidence.length === 0) return undefined;
    // Checked again here: two messages verified at once must not both pass. A kept signature
    // (the same campaign signature again) is not a replay of another assertion.
    evidence.forEach((e, i) => {
      if (!this.isKept(e, now)) this.check(e, `security-key signature ${i + 1}`);
    });
    const next = new Map(this.#counters);
    for (const e of evidence) next.set(e.fingerprint, Math.max(e.counter, next.get(e.fingerprint) ?? 0));
    // Kept signatures past their end are dropped; new ones to keep are added.
    const kept: Kept = new Map();
    for (const [fingerprint, assertions] of this.#kept) {
      const live = new Map([...assertions].filter(([, until]) => until >= now));
      if (live.size > 0) kept.set(fingerprint, live);
    }
    for (const e of evidence) {
      if (e.keepUntil === undefined || e.keepUntil < now) continue;
      const assertions = new Map(kept.get(e.fingerprint));
      assertions.set(e.assertion, Math.max(e.keepUntil, assertions.get(e.assertion) ?? 0));
      kept.set(e.fingerprint, assertions);
    }
    const value: StoredCounters = {
      v: 1,
      counters: Object.fromEntries(next),
      ...(kept.size > 0 && {
        kept: Object.fromEntries([...kept].map(([fp, assertions]) => [fp, Object.fromEntries(assertions)])),
      }),
    };
    return {
      slot: this.#slot,
      value,
      apply: () => {
        this.#counters = next;
        this.#kept = kept;
      },
    };
  }
}
