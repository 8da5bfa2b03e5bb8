import type { Logger } from '../log/logger.js';
import { lastResultSchema, type LastResult, type OperationSummary, type RouterStateMessage } from '../mqtt/contract.js';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import type { WatchSample } from '../routeros/watcher.js';
import type { OperationRecord } from './journal.js';
import { isFinal } from './operation-state.js';
import { monotonicRemainingMs, type Deadline } from '../time/deadline.js';
import type { Publisher } from './publisher.js';

const ACTING_STATES: ReadonlySet<string> = new Set(['actuating', 'rebooting', 'verifying']);

type RouterProblem = NonNullable<RouterStateMessage['problem']>;

/**
 * Keeps the retained per-router state topic current: what the watcher reads and what the
 * operation does. Publishes only when something an operator sees has changed.
 */
export class RouterStateReporter {
  #reachable = false;
  #sample: WatchSample | undefined;
  #operation: OperationSummary | null = null;
  #deadline: Deadline | undefined;
  #lastResult: LastResult | null = null;
  #problem: RouterProblem | null = null;
  #lastPublished = '';
  /** From the action until the outcome: what the watcher read before the reboot is history. */
  #acting = false;
  #saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly router: string,
    private readonly publisher: Publisher,
    /** Where the last result is kept, so a restarted agent still shows it (none: memory only). */
    private readonly store?: { file: string; logger: Logger },
    /** The agent's wall clock, for the deadline's wall-clock estimate. */
    private readonly now: () => Date = () => new Date(),
    /** The paired unit's serial or system id once known: fleet inventories (`rollout plan --broker`) read it. */
    private readonly identity?: () => { serial?: string | undefined; systemId?: string | undefined } | undefined,
  ) {}

  /** The last result a previous run recorded; an unreadable file is logged and ignored (a report, not a record). */
  async load(): Promise<void> {
    if (!this.store || this.#lastResult) return;
    try {
      const saved = await readJsonFile<unknown>(this.store.file);
      if (saved !== undefined) this.#lastResult = lastResultSchema.parse(saved);
    } catch (error) {
      this.store.logger.warn({ err: error, file: this.store.file }, 'last result not readable; ignored');
    }
  }

  sample(sample: WatchSample): void {
    if (!this.#acting) this.#sample = sample;
    this.#reachable = true;
    this.publish();
  }

  /** Why the router cannot be reached (null once a connection succeeds); the time is kept while the cause stays. */
  problem(problem: Omit<RouterProblem, 'since'> | null, now: Date): void {
    if (problem === null) this.#problem = null;
    else if (problem.cause !== this.#problem?.cause) this.#problem = { ...problem, since: now.toISOString() };
    else this.#problem = { ...this.#problem, message: problem.message };
    if (problem) this.#reachable = false;
    this.publish();
  }

  reachable(reachable: boolean): void {
    this.#reachable = reachable;
    this.publish();
  }

  operation(record: OperationRecord): void {
    const since = record.history.at(-1)?.at ?? record.updatedAt;
    // Acting: the device-mode shown is unknown until the watcher reads it after the outcome, so
    // `done` never stands next to the device-mode from before the reboot.
    if (ACTING_STATES.has(record.state)) {
      this.#acting = true;
      this.#sample = undefined;
    } else if (isFinal(record.state)) {
      this.#acting = false;
    }
    if (isFinal(record.state)) {
      this.#operation = null;
      this.#lastResult = {
        operationId: record.id,
        state: record.state,
        at: since,
        ...(record.requestId ? { requestId: record.requestId } : {}),
        ...(record.detail ? { detail: record.detail } : {}),
      };
      this.save(this.#lastResult);
    } else {
      this.#operation = {
        id: record.id,
        kind: record.kind,
        state: record.state,
        since,
        ...(record.requestId ? { requestId: record.requestId } : {}),
      };
      this.#deadline = record.deadline;
      this.#withDeadline();
    }
    this.publish();
  }

  /** The operation's deadline from the monotonic clock now (a wall-clock step since it began changes nothing). */
  #withDeadline(): void {
    const op = this.#operation;
    if (!op) return;
    const { deadline: _wall, deadlineInMs: _left, ...rest } = op;
    const left = this.#deadline ? monotonicRemainingMs(this.#deadline) : undefined;
    if (left === undefined) {
      this.#operation = this.#deadline?.wall ? { ...rest, deadline: this.#deadline.wall } : rest;
      return;
    }
    const deadlineInMs = Math.max(0, Math.round(left));
    this.#operation = { ...rest, deadline: new Date(this.now().getTime() + deadlineInMs).toISOString(), deadlineInMs };
  }

  private save(result: LastResult): void {
    const store = this.store;
    if (!store) return;
    this.#saving = this.#saving
      .then(() => writeJsonAtomic(store.file, result))
      .catch((error: unknown) => store.logger.warn({ err: error, file: store.file }, 'last result not saved'));
  }

  /** Waits for the last result's write (at stop: a restart right after must find it). */
  flushed(): Promise<void> {
    return this.#saving;
  }

  /** Publishes the current state again even if unchanged (fresh `at`), once something was published. */
  refresh(): void {
    if (this.#lastPublished === '') return;
    this.#lastPublished = '';
    this.#withDeadline();
    this.publish();
  }

  private publish(): void {
    const mode = this.#sample?.deviceMode;
    const state = {
      router: this.router,
      reachable: this.#reachable,
      deviceMode: mode
        ? {
            mode: mode.mode,
            features: mode.features,
            flaggingEnabled: mode.flaggingEnabled,
            allowedVersions: mode.allowedVersions,
          }
        : null,
      attemptCount: mode?.attemptCount ?? null,
      flagged: mode?.flagged ?? null,
      operation: this.#operation,
      lastResult: this.#lastResult,
      problem: this.#problem,
      ...unitOf(this.identity?.()),
    };
    const key = JSON.stringify(state);
    if (key === this.#lastPublished) return;
    this.#lastPublished = key;
    this.publisher.routerState(state);
  }
}

/** The paired (or configured) unit's serial and system id, where known. */
function unitOf(unit: { serial?: string | undefined; systemId?: string | undefined } | undefined): {
  serial?: string;
  systemId?: string;
} {
  return {
    ...(unit?.serial !== undefined ? { serial: unit.serial } : {}),
    ...(unit?.systemId !== undefined ? { systemId: unit.systemId } : {}),
  };
}
