import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { countFsync } from './fsync-count.js';
import { writingState } from './state-error.js';

/** What a JSON-lines state file holds: every whole line's value, and whether a torn last line was dropped. */
export interface JsonLines {
  values: unknown[];
  /** The last line had no newline: an append that never returned (a crash or a failed write) left it. */
  tornTail: boolean;
}

/** A line that is whole (ends in a newline) but is not JSON: the file was damaged, not torn by a crash. */
export class JsonLinesDamaged extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
  ) {
    super(`${path}: line ${line} is not JSON; inspect the file before starting again`);
    this.name = 'JsonLinesDamaged';
  }
}

/**
 * A state file kept as JSON lines and made durable by appending: one line per write and one
 * `fdatasync`, against two fsyncs (the file, then its directory) for an atomic replace. The
 * file is only ever created whole, by an atomic replace, so an append never has to make its
 * directory entry durable. An append that fails may leave part of a line: the next write then
 * replaces the whole file instead. A crash mid-append leaves a last line without its newline,
 * which the reader drops: that write never returned, so nothing was done on its strength.
 */
export class JsonLinesFile {
  #replaceNext = false;
  #bytes = 0;

  constructor(readonly path: string) {}

  /** Bytes of whole lines written since this file was read or replaced: what the file has grown by. */
  get grownBytes(): number {
    return this.#bytes;
  }

  /** The file's lines; `undefined` when it does not exist. A damaged line (not the torn last one) throws. */
  async read(): Promise<JsonLines | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const lines = text.split('\n');
    const tail = lines.pop() ?? '';
    const values = lines.map((line, index) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new JsonLinesDamaged(this.path, index + 1);
      }
    });
    const tornTail = tail !== '';
    // The next write must not follow the torn bytes on the same line.
    if (tornTail) this.#replaceNext = true;
    this.#bytes = 0;
    return { values, tornTail };
  }

  /**
   * Appends `value` as one line, durable when it resolves. When the file is missing, or may end
   * in part of a line, the file is replaced by `whole` instead (which must then say everything).
   */
  async add(value: unknown, whole: readonly unknown[] = [value]): Promise<void> {
    if (this.#replaceNext) return this.replace(whole);
    const line = JSON.stringify(value) + '\n';
    const appended = await writingState(this.path, async () => {
      let handle;
      try {
        handle = await open(this.path, constants.O_WRONLY | constants.O_APPEND);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
      try {
        await handle.writeFile(line);
        await handle.datasync();
        countFsync();
      } catch (error) {
        this.#replaceNext = true;
        throw error;
      } finally {
        await handle.close();
      }
      return true;
    });
    if (!appended) return this.replace(whole);
    this.#bytes += Buffer.byteLength(line);
  }

  /** Replaces the file with these lines atomically (temporary file, fsync, rename, directory fsync). */
  async replace(values: readonly unknown[]): Promise<void> {
    await writeFileAtomic(this.path, values.map((v) => JSON.stringify(v) + '\n').join(''));
    this.#replaceNext = false;
    this.#bytes = 0;
  }
}
