/**
 * The operation journal: the current operation of each router, one JSON-lines file per router
 * (`operations/<router>.jsonl`), one line appended and flushed at every step; the last whole
 * line is the record. After a crash or restart mid-operation the agent
 * loads it, releases the actuator if the record says it may be engaged, verifies, and
 * reports the outcome once (`outcomeReported`), then clears the record.
 */
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../store/atomic-file.js';
import { JsonLinesFile } from '../store/json-lines-file.js';
import { writingState } from '../store/state-error.js';
import { DEVICE_MODE_FEATURES, DEVICE_MODES } from '../routeros/device-mode.js';
import { deadlineSchema } from '../time/deadline.js';
import type { ExpectedDeviceMode } from './decisions.js';
import { OPERATION_STATES } from './operation-state.js';

/** A device-mode as the journal keeps it: the mode, every feature, the flag, flagging-enabled and allowed-versions. */
export const expectedDeviceModeSchema = z.strictObject({
  mode: z.enum(DEVICE_MODES),
  features: z.record(z.enum(DEVICE_MODE_FEATURES), z.boolean()),
  flagged: z.boolean(),
  flaggingEnabled: z.boolean().optional(),
  allowedVersions: z.string().optional(),
}) satisfies z.ZodType<ExpectedDeviceMode>;

/**
 * Strict: the journal is the one record a restart trusts, so every field recovery reads is
 * declared and checked here, and a record with anything else is refused (inspect it) rather
 * than half-understood.
 */
export const operationRecordSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().min(1),
  router: z.string().min(1),
  kind: z.enum(['change', 'observed', 'powercycle']),
  state: z.enum(OPERATION_STATES),
  createdAt: z.string(),
  updatedAt: z.string(),
  requestId: z.string().optional(),
  /** The challenge an observed operation published: the trust ledger names the approval that used it. */
  challengeId: z.string().optional(),
  /** messageDigest of the exact signed bytes that started or approved this operation. */
  requestDigest: z.string().optional(),
  changeDigest: z.string().optional(),
  method: z.enum(['button', 'power']).optional(),
  attemptCountBefore: z.number().int().min(0).optional(),
  deadline: deadlineSchema.optional(),
  /** True from just before the actuator is engaged until it is known released. */
  actuatorEngaged: z.boolean().default(false),
  /** When the actuator was engaged (its monotonic part tells a restart in the same boot whether the router rebooted
   * since). */
  engagedAt: deadlineSchema.optional(),
  /** The device-mode the router must come back with; absent: nothing to compare (a hung router). */
  expected: expectedDeviceModeSchema.optional(),
  /** The device-mode before the action: coming back exactly so means nothing was confirmed. */
  before: expectedDeviceModeSchema.optional(),
  /** The attempt-count expected after the reboot (0 after a confirmed change or a power cycle). */
  expectAttemptCount: z.number().int().min(0).optional(),
  outcomeReported: z.boolean().default(false),
  detail: z.string().optional(),
  history: z.array(z.strictObject({ state: z.enum(OPERATION_STATES), at: z.string() })).default([]),
});
export type OperationRecord = z.infer<typeof operationRecordSchema>;

/** A router's journal file: JSON lines, the last whole one current. */
export const JOURNAL_EXTENSION = '.jsonl';

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

export class OperationJournal {
  readonly dir: string;
  readonly #writes = new Map<string, Promise<unknown>>();
  readonly #files = new Map<string, JsonLinesFile>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'operations');
  }

  private file(router: string): JsonLinesFile {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(router))
      throw new JournalError(`router name "${router}" cannot be a journal file name`);
    let file = this.#files.get(router);
    if (!file) this.#files.set(router, (file = new JsonLinesFile(join(this.dir, `${router}${JOURNAL_EXTENSION}`))));
    return file;
  }

  /**
   * Every journaled operation, by router: the last whole line of each file. A line that does
   * not parse, or a last record that is not one, stops the agent: it must not guess. Records of
   * an earlier version (`<router>.json`, replaced whole) are converted first.
   */
  async load(): Promise<Map<string, OperationRecord>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort())
      await this.convert(name, names.includes(name + 'l'));
    const records = new Map<string, OperationRecord>();
    for (const name of (await readdir(this.dir))
      .filter((n) => n.endsWith(JOURNAL_EXTENSION) && !n.startsWith('.'))
      .sort()) {
      const router = name.slice(0, -JOURNAL_EXTENSION.length);
      const file = this.file(router);
      const lines = await file.read().catch((error: unknown) => {
        throw new JournalError(`${file.path}: ${error instanceof Error ? error.message : String(error)}`);
      });
      const parsed = operationRecordSchema.safeParse(lines?.values.at(-1));
      if (!parsed.success)
        throw new JournalError(`${file.path} is not an operation record; inspect it before starting again`);
      if (parsed.data.router !== router) throw new JournalError(`${file.path} holds router "${parsed.data.router}"`);
      records.set(router, parsed.data);
    }
    return records;
  }

  /** Appends the record (durable when it resolves, one fdatasync); writes per router keep call order. */
  async save(record: OperationRecord): Promise<void> {
    const parsed = operationRecordSchema.parse(record);
    const file = this.file(parsed.router);
    await this.serialize(parsed.router, () => file.add(parsed));
  }

  /** Removes a router's record once its outcome is reported (a failure is a StateWriteError). */
  async clear(router: string): Promise<void> {
    const path = this.file(router).path;
    await this.serialize(router, () =>
      writingState(path, async () => {
        try {
          await unlink(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
        const dir = await open(this.dir, 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
      }),
    );
  }

  /** A record an earlier version replaced whole (`<router>.json`): written as the router's journal, then removed. */
  private async convert(name: string, converted: boolean): Promise<void> {
    const path = join(this.dir, name);
    if (!converted) {
      const parsed = operationRecordSchema.safeParse(await readJsonFile(path).catch((e: unknown) => e));
      if (!parsed.success)
        throw new JournalError(`${path} is not an operation record; inspect it before starting again`);
      if (`${parsed.data.router}.json` !== name) throw new JournalError(`${path} holds router "${parsed.data.router}"`);
      await this.file(parsed.data.router).replace([parsed.data]);
    }
    await writingState(path, () => unlink(path));
  }

  private serialize(router: string, write: () => Promise<void>): Promise<void> {
    const next = (this.#writes.get(router) ?? Promise.resolve()).then(write);
    this.#writes.set(
      router,
      next.catch(() => undefined),
    );
    return next;
  }
}

/** A new record's state change, with history; pure, so the agent can journal before acting. */
export function withState(
  record: OperationRecord,
  state: OperationRecord['state'],
  at: Date,
  detail?: string,
): OperationRecord {
  const when = at.toISOString();
  return {
    ...record,
    state,
    updatedAt: when,
    history: [...record.history, { state, at: when }],
    ...(detail !== undefined ? { detail } : {}),
  };
}
