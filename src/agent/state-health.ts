import { EventEmitter } from 'node:events';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { ensureHeadroom } from '../store/headroom.js';
import { StateWriteError } from '../store/state-error.js';
import type { Publisher } from './publisher.js';

/** The error code of an order refused because the agent could not record it. */
export const STATE_UNWRITABLE = 'state-unwritable';

/** How often an unwritable state directory is tried again. */
export const STATE_PROBE_INTERVAL_MS = 5000;

export interface StateFailureContext {
  /** What could not be recorded, for people: "journal the operation", "record the request". */
  what: string;
  router?: string | undefined;
  requestId?: string | undefined;
  operationId?: string | undefined;
}

/**
 * Whether the state directory takes writes. A write that fails (read-only, disk full)
 * raises the critical `state-unwritable` alarm, naming the path and errno, once when the
 * trouble starts and once more for each order or operation it touches; then a small probe
 * file is written every few seconds, and the first that lands publishes `state-writable`,
 * records the episode in the audit log (entries written meanwhile are missing from it) and
 * emits `recovered`. Nothing here refuses anything: the writes themselves decide, so an
 * order that arrives once the disk has room again simply works.
 */
export class StateHealth extends EventEmitter<{ recovered: [] }> {
  #failing: { since: Date; first: StateWriteError; failures: number; alarmed: Set<string> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;

  constructor(
    private readonly deps: {
      stateDir: string;
      publisher: Publisher;
      logger: Logger;
      now: () => Date;
      audit?: AuditLog;
      probeIntervalMs?: number;
    },
  ) {
    super();
  }

  get failing(): boolean {
    return this.#failing !== undefined;
  }

  /** A state write failed. Never throws. */
  report(error: StateWriteError, context: StateFailureContext): void {
    const { logger, publisher } = this.deps;
    const key = context.operationId ?? context.requestId ?? '';
    const started = this.#failing === undefined;
    this.#failing ??= { since: this.deps.now(), first: error, failures: 0, alarmed: new Set() };
    const failing = this.#failing;
    failing.failures++;
    logger.error(
      { err: error, path: error.path, errno: error.code, ...context },
      `state directory not writable: could not ${context.what}`,
    );
    if (!started && failing.alarmed.has(key)) return;
    failing.alarmed.add(key);
    publisher.event({
      type: 'alarm',
      severity: 'critical',
      code: STATE_UNWRITABLE,
      message:
        `could not ${context.what}: ${error.path}: ${error.code}; nothing is actuated ` +
        `until the state directory (${this.deps.stateDir}) takes writes again`,
      ...(context.router ? { router: context.router } : {}),
      ...(context.requestId ? { requestId: context.requestId } : {}),
      ...(context.operationId ? { operationId: context.operationId } : {}),
      data: { path: error.path, errno: error.code, stateDir: this.deps.stateDir },
    });
    if (started) this.startProbing();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  private startProbing(): void {
    this.stop();
    this.#timer = setInterval(() => void this.probe(), this.deps.probeIntervalMs ?? STATE_PROBE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Writes and removes a probe file, and finds the free space an order needs; the first success ends the episode. */
  private async probe(): Promise<void> {
    const failing = this.#failing;
    if (!failing || this.#probing) return;
    this.#probing = true;
    const file = join(this.deps.stateDir, '.write-probe');
    try {
      await writeFileAtomic(file, `${this.deps.now().toISOString()}\n`);
      await unlink(file);
      await ensureHeadroom(this.deps.stateDir, file); // what the trust ledger needs to record an order
    } catch {
      return; // still unwritable: try again at the next tick
    } finally {
      this.#probing = false;
    }
    this.stop();
    this.#failing = undefined;
    const until = this.deps.now();
    const data = {
      since: failing.since.toISOString(),
      until: until.toISOString(),
      path: failing.first.path,
      errno: failing.first.code,
      failures: failing.failures,
    };
    this.deps.logger.info(data, 'state directory writable again');
    this.deps.publisher.event({
      type: 'info',
      severity: 'info',
      code: 'state-writable',
      message:
        `state directory writable again after ${Math.round((until.getTime() - failing.since.getTime()) / 1000)} ` +
        `s (${failing.failures} failed writes; audit entries of that time are missing)`,
      data,
    });
    await this.deps.audit?.append('state-unwritable-episode', data).catch((error: unknown) => {
      if (error instanceof StateWriteError) this.report(error, { what: 'append to the audit log' });
    });
    if (!this.#failing) this.emit('recovered');
  }
}
