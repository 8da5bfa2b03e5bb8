import { randomBytes } from 'node:crypto';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { SerialQueue } from './serial-queue.js';

interface NonceEntry {
  nonce: string;
  issuedAt: number;
}

/**
 * Single-use challenge nonces, one per pending operation. An approval is valid only for the
 * current nonce of its challenge; `consume` deletes it (durably, when a path is given)
 * before the caller acts, so a duplicate delivery or a replay finds nothing to match.
 */
export class NonceStore {
  readonly #path: string | undefined;
  readonly #maxPending: number;
  readonly #random: () => string;
  readonly #queue = new SerialQueue();
  #entries = new Map<string, NonceEntry>();

  /** Without a path the store lives in memory only (offline verification). */
  constructor(path?: string, options: { maxPending?: number; random?: () => string } = {}) {
    this.#path = path;
    this.#maxPending = options.maxPending ?? 64;
    this.#random = options.random ?? (() => randomBytes(32).toString('base64url'));
  }

  async load(): Promise<void> {
    if (!this.#path) return;
    const stored = await readJsonFile<{ nonces?: Record<string, NonceEntry> }>(this.#path);
    this.#entries = new Map(Object.entries(stored?.nonces ?? {}));
  }

  /** A fresh nonce for a challenge, replacing (invalidating) any earlier one. */
  issue(challengeId: string, now: number): Promise<string> {
    return this.#queue.run(async () => {
      const nonce = this.#random();
      const next = new Map(this.#entries);
      next.delete(challengeId);
      next.set(challengeId, { nonce, issuedAt: now });
      while (next.size > this.#maxPending) next.delete(next.keys().next().value!);
      await this.#persist(next);
      return nonce;
    });
  }

  /** Registers a nonce issued elsewhere (offline verification of a saved challenge). */
  remember(challengeId: string, nonce: string, now: number): Promise<void> {
    return this.#queue.run(async () => {
      await this.#persist(new Map(this.#entries).set(challengeId, { nonce, issuedAt: now }));
    });
  }

  isCurrent(challengeId: string, nonce: string): boolean {
    return this.#entries.get(challengeId)?.nonce === nonce;
  }

  /**
   * True only for the current nonce, which is gone when this resolves: persisted too, unless
   * `durable` is false. An order's commit passes false: no nonce outlives a restart (start()
   * of the challenge book discards them all), so the file only has to catch up with the next
   * write, and the order's durable record is its request id in the trust ledger.
   */
  consume(challengeId: string, nonce: string, { durable = true }: { durable?: boolean } = {}): Promise<boolean> {
    return this.#queue.run(async () => {
      if (!this.isCurrent(challengeId, nonce)) return false;
      const next = new Map(this.#entries);
      next.delete(challengeId);
      if (durable) await this.#persist(next);
      else this.#entries = next;
      return true;
    });
  }

  /** Forgets a challenge (the pending operation ended some other way). */
  discard(challengeId: string): Promise<void> {
    return this.#queue.run(async () => {
      if (!this.#entries.has(challengeId)) return;
      const next = new Map(this.#entries);
      next.delete(challengeId);
      await this.#persist(next);
    });
  }

  /** Forgets every challenge (a restart: the operations they belonged to are gone). */
  discardAll(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#entries.size > 0) await this.#persist(new Map());
    });
  }

  /** Writes `next`, then makes it current: a failed write (StateWriteError) changes nothing. */
  async #persist(next: Map<string, NonceEntry>): Promise<void> {
    if (this.#path) await writeJsonAtomic(this.#path, { nonces: Object.fromEntries(next) });
    this.#entries = next;
  }
}
