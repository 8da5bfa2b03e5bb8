import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import type { SharedStateFile, StateSlot } from '../store/state-slot.js';
import { SerialQueue } from './serial-queue.js';

export const TRUST_LEDGER_FILE = 'trust-ledger.json';

/** The ledger's sections, and the file each one was kept in before the ledger (still read once, then converted). */
export const LEDGER_SECTIONS = { replay: 'replay.json', rate: 'rate.json', sk: 'sk-counters.json' } as const;
export type LedgerSection = keyof typeof LEDGER_SECTIONS;

/**
 * What an accepted order uses up, in one file: the request ids already accepted (replay
 * memory), the rate budget taken per router, the last security-key counters. Starting an
 * operation records all of them with ONE atomic write (temporary file, fsync, rename,
 * directory fsync) instead of one per store, so the record of what was used is durable
 * before anything acts, at a third of the cost on an SD card. Each section keeps the format
 * of the file it replaces, so a state directory of an earlier version is converted at start.
 */
export class TrustLedger implements SharedStateFile {
  readonly path: string;
  readonly #queue = new SerialQueue();
  #sections: Record<string, unknown> = {};

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, TRUST_LEDGER_FILE);
  }

  /**
   * Loads the ledger. Without one, the separate files of an earlier version are read,
   * written as the ledger (durably), and then removed; returns a note when it converted.
   */
  async load(): Promise<string[]> {
    const stored = await readJsonFile<Record<string, unknown>>(this.path);
    if (stored !== undefined) {
      if (stored.v !== 1 || typeof stored !== 'object')
        throw new Error(`${this.path}: not a trust ledger of version 1`);
      this.#sections = pick(stored);
      return [];
    }
    const legacy: Record<string, unknown> = {};
    for (const [section, file] of Object.entries(LEDGER_SECTIONS)) {
      const value = await readJsonFile(join(this.stateDir, file));
      if (value !== undefined) legacy[section] = value;
    }
    if (Object.keys(legacy).length === 0) return [];
    await this.writeSections(legacy);
    // The ledger is durable: the old files are no longer read (a crash before this is harmless).
    for (const file of Object.values(LEDGER_SECTIONS)) await unlink(join(this.stateDir, file)).catch(() => undefined);
    return [
      `converted ${Object.keys(legacy)
        .map((s) => LEDGER_SECTIONS[s as LedgerSection])
        .join(', ')} into ${TRUST_LEDGER_FILE}`,
    ];
  }

  /** One store's part of the ledger. */
  section(name: LedgerSection): StateSlot {
    return {
      read: () => Promise.resolve(this.#sections[name]),
      write: (value) => this.writeSections({ [name]: value }),
      shared: this,
      name,
    };
  }

  /** Replaces the given sections (the others kept) in one atomic write; current once durable. */
  writeSections(sections: Record<string, unknown>): Promise<void> {
    return this.#queue.run(async () => {
      const next = { ...this.#sections, ...sections };
      await writeJsonAtomic(this.path, { v: 1, ...next });
      this.#sections = next;
    });
  }
}

function pick(stored: Record<string, unknown>): Record<string, unknown> {
  const sections: Record<string, unknown> = {};
  for (const name of Object.keys(LEDGER_SECTIONS)) if (stored[name] !== undefined) sections[name] = stored[name];
  return sections;
}
