import { readJsonFile, writeJsonAtomic } from './atomic-file.js';

/**
 * Where one store keeps its JSON state: a file of its own, or a section of a shared file
 * (the trust ledger) so that several stores can be made durable by one atomic write.
 */
export interface StateSlot {
  read(): Promise<unknown>;
  /** Durable when it resolves; a failure (StateWriteError) leaves the old state. */
  write(value: unknown): Promise<void>;
  /** The shared file this slot is a section of, if any: staged changes to it are written together. */
  readonly shared?: SharedStateFile;
  readonly name?: string;
}

/** A file holding several stores' sections, replaced atomically as a whole. */
export interface SharedStateFile {
  writeSections(sections: Record<string, unknown>): Promise<void>;
}

/** A store's own JSON file (the format before the trust ledger, and stores used on their own). */
export function fileSlot(path: string): StateSlot {
  return { read: () => readJsonFile(path), write: (value) => writeJsonAtomic(path, value) };
}

/** A change a store has checked and computed but not yet made current: written, then applied. */
export interface Staged {
  slot: StateSlot | undefined;
  value: unknown;
  apply(): void;
}

/**
 * Makes staged changes durable with as few writes as possible (all sections of one shared
 * file in a single atomic write), then applies them. A failed write applies nothing.
 */
export async function writeStaged(staged: readonly Staged[]): Promise<void> {
  const groups = new Map<SharedStateFile, Record<string, unknown>>();
  for (const { slot, value } of staged) {
    if (!slot) continue;
    if (slot.shared && slot.name) groups.set(slot.shared, { ...groups.get(slot.shared), [slot.name]: value });
    else await slot.write(value);
  }
  for (const [file, sections] of groups) await file.writeSections(sections);
  for (const change of staged) change.apply();
}

/** The slot for a store's constructor argument: a path (its own file), a slot, or nothing (memory only). */
export function slotOf(where: string | StateSlot | undefined): StateSlot | undefined {
  return typeof where === 'string' ? fileSlot(where) : where;
}
