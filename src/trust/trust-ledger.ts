import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../store/atomic-file.js';
import { ensureHeadroom } from '../store/headroom.js';
import { JsonLinesFile } from '../store/json-lines-file.js';
import type { SharedStateFile, StateSlot } from '../store/state-slot.js';
import { SerialQueue } from './serial-queue.js';

export const TRUST_LEDGER_FILE = 'trust-ledger.jsonl';
/** The ledger as versions before the append-only one kept it: one JSON object, replaced whole. */
export const REPLACED_LEDGER_FILE = 'trust-ledger.json';
/** The ledger is rewritten as one line once its appends have grown it by this much. */
export const LEDGER_COMPACT_BYTES = 256 * 1024;

/** The ledger's sections, and the file each one was kept in before the ledger (still read once, then converted). */
export const LEDGER_SECTIONS = { replay: 'replay.json', rate: 'rate.json', sk: 'sk-counters.json' } as const;
export type LedgerSection = keyof typeof LEDGER_SECTIONS;

/**
 * What an accepted order uses up, in one file: the request ids already accepted (replay
 * memory), the rate budget taken per router, the last security-key counters. Starting an
 * operation records all of them with ONE append (one line naming the sections it replaces,
 * one `fdatasync`), so the record of what was used is durable before anything acts, at the
 * cost of a single flush on an SD card. The file is JSON lines (`{"v":1, section: value}`,
 * later lines win); it is rewritten as one line at start and once it has grown by
 * LEDGER_COMPACT_BYTES. It records nothing when the state directory has less than
 * STATE_HEADROOM_BYTES free (see ensureHeadroom). Each section keeps the format of the file it replaced, so a state
 * directory of an earlier version is converted at start.
 */
export class TrustLedger implements SharedStateFile {
  readonly path: string;
  readonly #file: JsonLinesFile;
  readonly #queue = new SerialQueue();
  #sections: Record<string, unknown> = {};

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, TRUST_LEDGER_FILE);
    this.#file = new JsonLinesFile(this.path);
  }

  /**
   * Loads the ledger and rewrites it as one line when it has more. Without one, the files of an
   * earlier version are read, written as the ledger (durably), and then removed; returns a note
   * when it converted.
   */
  async load(): Promise<string[]> {
    const stored = await this.#file.read().catch((error: unknown) => {
      throw new Error(`${this.path}: not a trust ledger: ${String(error)}`);
    });
    if (stored !== undefined) {
      // Every ledger is made with a line: one without any lost what it held.
      if (stored.values.length === 0) throw new Error(`${this.path}: not a trust ledger: no whole line in it`);
      this.#sections = fold(this.path, stored.values);
      if (stored.values.length !== 1 || stored.tornTail) await this.#file.replace([{ v: 1, ...this.#sections }]);
      // A crash after a conversion, before it removed what it converted.
      await unlink(join(this.stateDir, REPLACED_LEDGER_FILE)).catch(() => undefined);
      return [];
    }
    const replaced = await readJsonFile<Record<string, unknown>>(join(this.stateDir, REPLACED_LEDGER_FILE));
    if (replaced !== undefined) {
      this.#sections = fold(join(this.stateDir, REPLACED_LEDGER_FILE), [replaced]);
      await this.#file.replace([{ v: 1, ...this.#sections }]);
      await unlink(join(this.stateDir, REPLACED_LEDGER_FILE));
      return [`converted ${REPLACED_LEDGER_FILE} into ${TRUST_LEDGER_FILE} (appended, one flush per order)`];
    }
    const legacy: Record<string, unknown> = {};
    for (const [section, file] of Object.entries(LEDGER_SECTIONS)) {
      const value = await readJsonFile(join(this.stateDir, file));
      if (value !== undefined) legacy[section] = value;
    }
    // Made now, empty, when there is nothing: the first order's commit is then an append too.
    if (Object.keys(legacy).length === 0) {
      await this.#file.replace([{ v: 1 }]);
      return [];
    }
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

  /** Replaces the given sections (the others kept) with one append; current once durable. */
  writeSections(sections: Record<string, unknown>): Promise<void> {
    return this.#queue.run(async () => {
      const next = { ...this.#sections, ...sections };
      await ensureHeadroom(this.stateDir, this.path);
      await this.#file.add({ v: 1, ...sections }, [{ v: 1, ...next }]);
      this.#sections = next;
      if (this.#file.grownBytes >= LEDGER_COMPACT_BYTES) this.compactSoon();
    });
  }

  /** Rewrites the ledger as one line, after the write that asked for it (a failure keeps the appended file). */
  private compactSoon(): void {
    void this.#queue.run(() => this.#file.replace([{ v: 1, ...this.#sections }])).catch(() => undefined);
  }
}

/** The sections as the lines leave them: each line replaces the sections it names. */
function fold(path: string, lines: readonly unknown[]): Record<string, unknown> {
  const sections: Record<string, unknown> = {};
  for (const line of lines) {
    if (typeof line !== 'object' || line === null || (line as { v?: unknown }).v !== 1)
      throw new Error(`${path}: not a trust ledger of version 1`);
    Object.assign(sections, pick(line as Record<string, unknown>));
  }
  return sections;
}

function pick(stored: Record<string, unknown>): Record<string, unknown> {
  const sections: Record<string, unknown> = {};
  for (const name of Object.keys(LEDGER_SECTIONS)) if (stored[name] !== undefined) sections[name] = stored[name];
  return sections;
}
