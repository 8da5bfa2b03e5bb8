import type { LastResult, OperationSummary } from '../mqtt/contract.js';
import type { WatchSample } from '../routeros/watcher.js';
import type { OperationRecord } from './journal.js';
import { isFinal } from './operation-state.js';
import type { Publisher } from './publisher.js';

/**
 * Keeps the retained per-router state topic current: what the watcher reads and what the
 * operation does. Publishes only when something an operator sees has changed.
 */
export class RouterStateReporter {
  #reachable = false;
  #sample: WatchSample | undefined;
  #operation: OperationSummary | null = null;
  #lastResult: LastResult | null = null;
  #lastPublished = '';

  constructor(
    private readonly router: string,
    private readonly publisher: Publisher,
  ) {}

  sample(sample: WatchSample): void {
    this.#sample = sample;
    this.#reachable = true;
    this.publish();
  }

  reachable(reachable: boolean): void {
    this.#reachable = reachable;
    this.publish();
  }

  operation(record: OperationRecord): void {
    const since = record.history.at(-1)?.at ?? record.updatedAt;
    if (isFinal(record.state)) {
      this.#operation = null;
      this.#lastResult = {
        operationId: record.id,
        state: record.state,
        at: since,
        ...(record.requestId ? { requestId: record.requestId } : {}),
        ...(record.detail ? { detail: record.detail } : {}),
      };
    } else {
      this.#operation = {
        id: record.id,
        kind: record.kind,
        state: record.state,
        since,
        ...(record.requestId ? { requestId: record.requestId } : {}),
        ...(record.deadline?.wall ? { deadline: record.deadline.wall } : {}),
      };
    }
    this.publish();
  }

  /** Publishes the current state again even if unchanged (fresh `at`), once something was published. */
  refresh(): void {
    if (this.#lastPublished === '') return;
    this.#lastPublished = '';
    this.publish();
  }

  private publish(): void {
    const mode = this.#sample?.deviceMode;
    const state = {
      router: this.router,
      reachable: this.#reachable,
      deviceMode: mode ? { mode: mode.mode, features: mode.features, flaggingEnabled: mode.flaggingEnabled, allowedVersions: mode.allowedVersions } : null,
      attemptCount: mode?.attemptCount ?? null,
      flagged: mode?.flagged ?? null,
      operation: this.#operation,
      lastResult: this.#lastResult,
    };
    const key = JSON.stringify(state);
    if (key === this.#lastPublished) return;
    this.#lastPublished = key;
    this.publisher.routerState(state);
  }
}
