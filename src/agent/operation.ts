import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../log/logger.js';
import type { ErrorInfo } from '../mqtt/contract.js';
import { StateWriteError } from '../store/state-error.js';
import { withState, type OperationJournal, type OperationRecord } from './journal.js';
import { assertTransition, isFinal, type OperationState } from './operation-state.js';
import type { Publisher } from './publisher.js';
import { STATE_UNWRITABLE, type StateHealth } from './state-health.js';

export interface OperationServices {
  journal: OperationJournal;
  audit: AuditLog;
  publisher: Publisher;
  logger: Logger;
  now: () => Date;
  /** Called after every state change so the router's retained state follows. */
  onChange: (record: OperationRecord) => void;
  /** Told when a state write fails (alarm, probing). */
  health: StateHealth;
  /** Told of every operation created or resumed, so a state-write failure can end it. */
  track?: (operation: Operation) => void;
}

export type OperationInit = Pick<
  OperationRecord,
  'router' | 'kind' | 'requestId' | 'requestDigest' | 'changeDigest' | 'method' | 'attemptCountBefore' | 'deadline'
>;

/**
 * One operation on one router. Every state change is checked against the legal
 * transitions, journaled (durably, before anything acts on it), appended to the audit log,
 * and published as progress: the journal is what a restart trusts, the audit log what an
 * operator trusts, MQTT what an operator watches.
 *
 * When the state directory fails (read-only, full): before the actuator is told to act, a
 * write that fails throws a StateWriteError and the operation ends `failed` with code
 * `state-unwritable` (abandon): an approval that cannot be recorded must not be acted on.
 * Once 'actuating' is recorded (the actuator acts next), and for any final state, failed writes
 * are reported to StateHealth and the operation goes on: the button is released, the power
 * restored, the router verified and the outcome published even if none of it is recorded.
 */
export class Operation {
  #record: OperationRecord;
  #mustFinish = false;
  /** Audit entries to append once the action is under way (logAfterAction). */
  readonly #afterAction: Array<{ type: string; data: Record<string, unknown> }> = [];

  private constructor(
    private readonly services: OperationServices,
    record: OperationRecord,
  ) {
    this.#record = record;
    services.track?.(this);
  }

  static async begin(
    services: OperationServices,
    init: OperationInit,
    first?: OperationState,
    detail?: string,
  ): Promise<Operation> {
    const at = services.now().toISOString();
    const record: OperationRecord = {
      v: 1,
      id: randomUUID(),
      state: 'idle',
      createdAt: at,
      updatedAt: at,
      history: [],
      actuatorEngaged: false,
      outcomeReported: false,
      ...init,
    };
    const operation = new Operation(services, record);
    if (first) await operation.to(first, detail);
    else await operation.note({});
    return operation;
  }

  /** Resumes a journaled operation after a restart. */
  static resume(services: OperationServices, record: OperationRecord): Operation {
    return new Operation(services, record);
  }

  get record(): OperationRecord {
    return this.#record;
  }

  get state(): OperationState {
    return this.#record.state;
  }

  get final(): boolean {
    return isFinal(this.#record.state);
  }

  /**
   * The actuator may have acted (crash recovery): from now on the operation finishes whatever
   * the disk does. Entering 'actuating' sets this too, once that state is recorded.
   */
  mustFinish(): void {
    this.#mustFinish = true;
  }

  /** Records facts (attempt-count, deadline, actuator engaged) durably without a state change. */
  async note(facts: Partial<OperationRecord>, auditType?: string, auditData?: Record<string, unknown>): Promise<void> {
    this.remember(facts);
    await this.write('journal the operation', () => this.services.journal.save(this.#record));
    if (auditType) await this.log(auditType, auditData);
  }

  /**
   * Takes facts into the record without writing it: they become durable with the next
   * journal write (the approval's request id rides on the 'actuating' record, one write
   * before the first edge instead of two).
   */
  remember(facts: Partial<OperationRecord>): void {
    this.#record = { ...this.#record, ...facts, updatedAt: this.services.now().toISOString() };
  }

  /** Appends an audit entry about this operation (same failure rules as note). */
  async log(auditType: string, auditData?: Record<string, unknown>): Promise<void> {
    await this.flushAudit();
    await this.write('append to the audit log', () =>
      this.services.audit.append(auditType, {
        operationId: this.#record.id,
        router: this.#record.router,
        ...auditData,
      }),
    );
  }

  /**
   * An audit entry that need not be on disk before the actuator acts: queued, and appended
   * (fsync) by flushAudit(), right after the first edge is under way, or before any other
   * write of this operation. Its facts are in the journal record written before the edge,
   * so a crash that loses it leaves them to the recovery entry (recovery.ts).
   */
  logAfterAction(auditType: string, auditData?: Record<string, unknown>): void {
    const data = { operationId: this.#record.id, router: this.#record.router, ...auditData };
    this.#afterAction.push({ type: auditType, data });
  }

  /** Appends the entries logAfterAction queued, in order. */
  async flushAudit(): Promise<void> {
    const entries = this.#afterAction.splice(0);
    for (const { type, data } of entries) {
      await this.write('append to the audit log', () => this.services.audit.append(type, data));
    }
  }

  /** Enters `state`; `facts` are journaled in the same write (e.g. the actuator engaged, with 'actuating'). */
  async to(state: OperationState, detail?: string, error?: ErrorInfo, facts?: Partial<OperationRecord>): Promise<void> {
    assertTransition(this.#record.state, state);
    if (facts) this.remember(facts);
    await this.enter(state, detail, error);
  }

  /**
   * The state directory failed before anything was actuated: end `failed` with code
   * `state-unwritable` (published even though it cannot be recorded). An operation whose
   * first record could not be written never left idle, and ends the same way.
   */
  async abandon(error: StateWriteError): Promise<void> {
    const { id, router, requestId } = this.#record;
    this.services.health.report(error, { what: 'record the operation', router, operationId: id, requestId });
    if (this.final) return;
    // Past 'actuating' the operation's own writes never throw: this came from elsewhere, and
    // "nothing was actuated" would be false. Left to the supervisor (fatal: crash recovery verifies).
    if (this.#mustFinish) throw error;
    this.#record = { ...this.#record, actuatorEngaged: false };
    const detail =
      `state directory not writable (${error.code} on ` + `${error.path}): refused before acting, nothing was actuated`;
    await this.to('failed', detail, { code: STATE_UNWRITABLE, message: detail });
  }

  /**
   * Runs one state write. A StateWriteError is reported; it stops the operation (rethrown)
   * only while nothing has been actuated and the operation is not ending anyway.
   */
  private async write(what: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof StateWriteError)) throw error;
      const { id, router, requestId } = this.#record;
      this.services.health.report(error, { what, router, operationId: id, requestId });
      if (!this.#mustFinish && !this.final) throw error;
    }
  }

  private async enter(state: OperationState, detail?: string, error?: ErrorInfo): Promise<void> {
    const final = isFinal(state);
    this.#record = withState(this.#record, state, this.services.now(), detail);
    if (final) this.#record = { ...this.#record, outcomeReported: true };
    if (state !== 'actuating') await this.flushAudit();
    await this.write('journal the operation', () => this.services.journal.save(this.#record));
    const { id, router, kind, requestId, requestDigest } = this.#record;
    const entry = { operationId: id, router, kind, requestId, state, detail, error };
    // 'actuating' is on disk: the actuator acts next, and the operation must finish from here
    // on. Its audit entry follows the first edge (the journal record is what recovery needs).
    if (state === 'actuating') {
      this.#mustFinish = true;
      this.#afterAction.push({ type: 'operation', data: entry });
    } else {
      await this.write('append to the audit log', () => this.services.audit.append('operation', entry));
    }
    this.services.logger.info(entry, `operation ${state}`);
    if (requestId) {
      const data = {
        state,
        router,
        operationId: id,
        final,
        ...(requestDigest ? { inReplyTo: requestDigest } : {}),
        ...(detail ? { detail } : {}),
      };
      this.services.publisher.progress(requestId, data, error);
    }
    this.services.publisher.event({
      type: 'progress',
      severity: state === 'failed' ? 'warning' : 'info',
      code: error?.code ?? `operation-${state}`,
      message: detail ?? `operation ${state}`,
      router,
      operationId: id,
      state,
      ...(requestId ? { requestId } : {}),
    });
    this.services.onChange(this.#record);
    if (final) await this.write('clear the operation journal', () => this.services.journal.clear(router));
  }
}
