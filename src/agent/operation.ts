import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../log/logger.js';
import type { ErrorInfo } from '../mqtt/contract.js';
import { withState, type OperationJournal, type OperationRecord } from './journal.js';
import { assertTransition, isFinal, type OperationState } from './operation-state.js';
import type { Publisher } from './publisher.js';

export interface OperationServices {
  journal: OperationJournal;
  audit: AuditLog;
  publisher: Publisher;
  logger: Logger;
  now: () => Date;
  /** Called after every state change so the router's retained state follows. */
  onChange: (record: OperationRecord) => void;
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
 */
export class Operation {
  #record: OperationRecord;

  private constructor(
    private readonly services: OperationServices,
    record: OperationRecord,
  ) {
    this.#record = record;
  }

  static async begin(services: OperationServices, init: OperationInit, first?: OperationState, detail?: string): Promise<Operation> {
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
    else await services.journal.save(record);
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

  /** Records facts (attempt-count, deadline, actuator engaged) durably without a state change. */
  async note(facts: Partial<OperationRecord>, auditType?: string, auditData?: Record<string, unknown>): Promise<void> {
    this.#record = { ...this.#record, ...facts, updatedAt: this.services.now().toISOString() };
    await this.services.journal.save(this.#record);
    if (auditType) await this.services.audit.append(auditType, { operationId: this.#record.id, router: this.#record.router, ...auditData });
  }

  async to(state: OperationState, detail?: string, error?: ErrorInfo): Promise<void> {
    assertTransition(this.#record.state, state);
    const final = isFinal(state);
    this.#record = withState(this.#record, state, this.services.now(), detail);
    if (final) this.#record = { ...this.#record, outcomeReported: true };
    await this.services.journal.save(this.#record);
    const { id, router, kind, requestId, requestDigest } = this.#record;
    await this.services.audit.append('operation', { operationId: id, router, kind, requestId, state, detail, error });
    this.services.logger.info({ operationId: id, router, kind, requestId, state, detail, error }, `operation ${state}`);
    if (requestId) {
      const data = { state, router, operationId: id, final, ...(requestDigest ? { inReplyTo: requestDigest } : {}), ...(detail ? { detail } : {}) };
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
    if (final) await this.services.journal.clear(router);
  }
}
