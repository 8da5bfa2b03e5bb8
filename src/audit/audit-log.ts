/**
 * Tamper-evident audit log: append-only JSON lines, each `{seq, at, type, data, prev}` where
 * `prev` is the SHA-256 (hex) of the exact bytes of the previous line (without its newline)
 * and the first line's `prev` is GENESIS. Every append is fsynced before it resolves, so an
 * entry the agent acted on survives a power cut. Reopening continues the chain.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stateWriteError } from '../store/state-error.js';
import { countFsync } from '../store/fsync-count.js';
import { auditLine, readAuditLine, type AuditEntry } from './audit-line.js';

export const GENESIS = '0'.repeat(64);

export type { AuditEntry };

/** Where the chain stands: how many entries, and the hash of the last line. */
export interface AuditHead {
  count: number;
  head: string;
}

/** What open() had to repair; the agent raises an alarm for it. */
export type AuditRecovery =
  | { kind: 'torn-tail'; bytes: number; sha256: string }
  | { kind: 'damaged'; file: string; reason: string; bytes: number; sha256: string };

export class AuditLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditLogError';
  }
}

export function lineHash(line: string | Uint8Array): string {
  return createHash('sha256').update(line).digest('hex');
}

export class AuditLog {
  #handle: FileHandle | undefined;
  #head: AuditHead = { count: 0, head: GENESIS };
  #queue: Promise<unknown> = Promise.resolve();
  /** Bytes of whole entries in the file; a failed append is cut back to this. */
  #size = 0;
  /** A failed append may have left part of its line behind: cut it before the next one. */
  #dirty = false;

  constructor(
    readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get head(): AuditHead {
    return { ...this.#head };
  }

  /**
   * Opens the file and finds the head. A last line without its newline is a write the
   * crash interrupted (its append never resolved): it is cut off, and the cut is itself
   * recorded, with the digest of what was dropped. A file whose last entry does not fit
   * (not JSON, wrong seq) is moved aside untouched, as evidence, and a new chain begins
   * with an entry naming it: an unattended agent that refused to start would report
   * nothing at all. The result says what was recovered, so the agent can raise an alarm.
   */
  async open(): Promise<AuditRecovery | undefined> {
    if (this.#handle) throw new AuditLogError('already open');
    await mkdir(dirname(this.path), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let recovery: AuditRecovery | undefined;
    if (text.length > 0 && !text.endsWith('\n')) {
      const cut = text.lastIndexOf('\n') + 1;
      const torn = text.slice(cut);
      text = text.slice(0, cut);
      await truncate(this.path, Buffer.byteLength(text));
      recovery = { kind: 'torn-tail', bytes: Buffer.byteLength(torn), sha256: lineHash(torn) };
    }
    const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
    const last = lines.at(-1);
    const problem = last === undefined ? undefined : lastEntryProblem(last, lines.length);
    if (last !== undefined && problem === undefined) this.#head = { count: lines.length, head: lineHash(last) };
    if (problem !== undefined) {
      const aside = `${this.path}.damaged-${this.now().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.path, aside);
      recovery = {
        kind: 'damaged',
        file: aside,
        reason: problem,
        bytes: Buffer.byteLength(text),
        sha256: lineHash(text),
      };
    }
    this.#handle = await open(this.path, 'a', 0o600);
    this.#size = (await this.#handle.stat()).size;
    if (recovery?.kind === 'torn-tail')
      await this.append('audit-torn-tail-dropped', { bytes: recovery.bytes, sha256: recovery.sha256 });
    if (recovery?.kind === 'damaged') await this.append('audit-log-damaged', { ...recovery });
    return recovery;
  }

  /**
   * Appends one entry and resolves once it is on disk. Appends run one at a time, in call
   * order. A write that fails (read-only, disk full: a StateWriteError) leaves no part of
   * its line: the file is cut back to its last whole entry, so the chain stays intact and
   * the next append that can be written continues it.
   */
  append(type: string, data: unknown = {}): Promise<AuditEntry> {
    const next = this.#queue.then(() => this.write(type, data));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#queue;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  private async write(type: string, data: unknown): Promise<AuditEntry> {
    const handle = this.#handle;
    if (!handle) throw new AuditLogError('audit log is not open');
    const entry: AuditEntry = {
      seq: this.#head.count,
      at: this.now().toISOString(),
      type,
      data,
      prev: this.#head.head,
    };
    const line = auditLine(entry);
    const bytes = Buffer.from(line + '\n');
    try {
      if (this.#dirty) await this.cutBack(handle);
      // A full disk can take part of a line (the file's last page had room) without an error.
      for (let done = 0; done < bytes.length;) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
        if (bytesWritten === 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
        done += bytesWritten;
      }
      await handle.datasync();
      countFsync();
    } catch (error) {
      this.#dirty = true;
      await this.cutBack(handle).catch(() => undefined);
      throw stateWriteError(this.path, error);
    }
    this.#size += bytes.length;
    this.#head = { count: this.#head.count + 1, head: lineHash(line) };
    return entry;
  }

  /** Cuts whatever a failed append left after the last whole entry. */
  private async cutBack(handle: FileHandle): Promise<void> {
    await handle.truncate(this.#size);
    await handle.datasync();
    this.#dirty = false;
  }
}

function lastEntryProblem(line: string, count: number): string | undefined {
  const entry = readAuditLine(line);
  if (!entry) return 'last line is not an audit entry (strict JSON {seq, at, type, data, prev})';
  if (entry.seq !== count - 1) return `last entry has seq ${String(entry.seq)} but is line ${count}`;
  return undefined;
}
