import type { Logger } from '../log/logger.js';
import { StateWriteError } from '../store/state-error.js';
import type { OperationServices } from './operation.js';
import type { Publisher } from './publisher.js';
import type { AlarmInput } from './router-context.js';

/** One router's alarms: logged, audited (published even when that fails), raised as an event. */
export class RouterAlarm {
  constructor(
    private readonly router: string,
    private readonly deps: {
      logger: Logger;
      publisher: Publisher;
      services: Pick<OperationServices, 'audit' | 'health'>;
    },
  ) {}

  async raise(alarm: AlarmInput): Promise<void> {
    const { logger, publisher, services } = this.deps;
    const entry = { router: this.router, ...alarm, severity: alarm.severity ?? 'warning', type: alarm.type ?? 'alarm' };
    logger.warn(entry, `alarm ${alarm.code}`);
    // An alarm is published even when it cannot be recorded.
    await services.audit.append('alarm', entry).catch((error: unknown) => {
      if (!(error instanceof StateWriteError)) throw error;
      const what = `append alarm ${alarm.code} to the audit log`;
      services.health.report(error, {
        what,
        router: this.router,
        operationId: alarm.operationId,
        requestId: alarm.requestId,
      });
    });
    publisher.event({
      type: entry.type,
      severity: entry.severity,
      code: alarm.code,
      message: alarm.message,
      router: this.router,
      ...(alarm.operationId ? { operationId: alarm.operationId } : {}),
      ...(alarm.requestId ? { requestId: alarm.requestId } : {}),
      ...(alarm.data ? { data: alarm.data } : {}),
    });
  }

  /** From an event handler: a failure to record the alarm (e.g. the audit log closing at stop) is logged, never an
   * unhandled rejection. */
  inBackground(alarm: AlarmInput): void {
    this.raise(alarm).catch((error: unknown) =>
      this.deps.logger.error({ err: error, code: alarm.code }, 'alarm could not be recorded'),
    );
  }
}
