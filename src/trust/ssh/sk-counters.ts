import { slotOf, writeStaged, type Staged, type StateSlot } from '../../store/state-slot.js';
import { refuse } from '../refusal.js';
import { SerialQueue } from '../serial-queue.js';
import type { SkEvidence } from './sshsig-verify.js';

interface StoredCounters {
  v: 1;
  /** Last accepted signature counter per security-key fingerprint. */
  counters: Record<string, number>;
}

/**
 * The highest signature counter accepted per security key, kept across restarts. A FIDO
 * key raises its counter on every signature, so a counter at or below the last accepted one
 * is a replayed (or cloned-key) signature. Checked during verification, advanced only when
 * the whole message is accepted, so a message refused for another reason burns nothing.
 */
export class SkCounterStore {
  readonly #slot: StateSlot | undefined;
  readonly #where: string;
  readonly #queue = new SerialQueue();
  #counters = new Map<string, number>();

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
      if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
        throw new Error(`${this.#where}: counter of ${fingerprint} is not a uint32 (${String(counter)})`);
      }
    }
    this.#counters = new Map(entries);
  }

  last(fingerprint: string): number | undefined {
    return this.#counters.get(fingerprint);
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
  advance(evidence: readonly SkEvidence[]): Promise<void> {
    return this.#queue.run(async () => {
      const staged = this.stage(evidence);
      if (staged) await writeStaged([staged]);
    });
  }

  /**
   * The counters of an accepted message checked (refused unless each rises) and computed,
   * not yet written: an order's commit writes them with the other stores' changes, one
   * commit at a time. Undefined when there is nothing to record.
   */
  stage(evidence: readonly SkEvidence[]): Staged | undefined {
    if (evidence.length === 0) return undefined;
    // Checked again here: two messages verified at once must not both pass.
    evidence.forEach((e, i) => this.check(e, `security-key signature ${i + 1}`));
    const next = new Map(this.#counters);
    for (const e of evidence) next.set(e.fingerprint, Math.max(e.counter, next.get(e.fingerprint) ?? 0));
    const value: StoredCounters = { v: 1, counters: Object.fromEntries(next) };
    return { slot: this.#slot, value, apply: () => (this.#counters = next) };
  }
}
