/**
 * Our own device-mode update, after the operation that requested it ended (#15 items 2, 3).
 *
 * RouterOS shows no pending change, only attempt-count; an update we requested and then
 * abandoned (the operation failed: every read before acting cut, the update's own session
 * cut) can stay pending on the router until its activation timeout, and its rise of
 * attempt-count can show after the operation ended. The agent knows what it requested:
 * - the rise to exactly the count our update gave is ours (never someone else's change);
 * - after a failed operation the update is cancelled by us where RouterOS allows it: our
 *   session, still open, sends `/cancel` and closes; whether that (or a session that was cut)
 *   drops the change is only believed for a version whose probe reports say `cancels`;
 * - whatever may still be pending is then challenged and alarmed (`own-update-pending`) until
 *   the deadline we set ourselves (monotonic): approvers may confirm it, or let it expire.
 */
import type { Logger } from '../log/logger.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import type { UpdatePhase } from '../routeros/update-request.js';
import { monotonicNowMs } from '../time/monotonic.js';
import type { OperationRecord } from './journal.js';
import type { ObservedPending } from './flows/observed-flow.js';
import type { UpdateSession } from './ports.js';

/** What the change flow tells the supervisor once its update is sent. */
export interface OwnUpdate {
  operationId: string;
  requestId: string;
  update: UpdateSession;
  /** Sends `/cancel` for the update and closes its session (when still open). */
  cancel: () => void;
  /** attempt-count with our request counted (before + 1). */
  attemptCount: number;
  /** Monotonic ms at which the router ends the update by itself (counted from before it was sent). */
  deadlineMono: number;
  /** Device-mode before the update: the baseline of a challenge for it. */
  before: DeviceModeState;
}

const FINAL = new Set<UpdatePhase['phase']>(['confirmed', 'cancelled', 'rejected', 'failed', 'aborted']);
/** How long a cancelled update session may take to settle (a `/cancel` answer or the close). */
const CANCEL_SETTLE_MS = 3000;
/** How long the update's follow-up after a dropped session may take to read the router back. */
const DROP_SETTLE_MS = 5000;

async function settled(update: UpdateSession, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([update.outcome, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function ended(update: UpdateSession): UpdatePhase | undefined {
  return update.phases.find((p) => FINAL.has(p.phase));
}

/** False when the router itself said the update is over (cancelled, refused, confirmed, or a reboot without it). */
function mayStillBePending(phase: UpdatePhase): boolean {
  return (phase.phase === 'failed' || phase.phase === 'aborted') && phase.mayStillBePending;
}

export class OwnUpdates {
  /** The running operation's update. */
  #sent: OwnUpdate | undefined;
  /** attempt-count our last update raised it to (and its operation), until that rise was seen or a reset. */
  #attributed: { count: number; operationId: string } | undefined;
  /** Our abandoned update may be pending on the router until then (monotonic ms). */
  #pendingUntil: number | undefined;
  #pendingOperation: string | undefined;

  constructor(private readonly logger: Logger) {}

  sent(own: OwnUpdate): void {
    this.#sent = own;
    this.#attributed = { count: own.attemptCount, operationId: own.operationId };
  }

  /** A rise the watcher saw with no operation running: ours when it reaches exactly our update's count (seen once). */
  ours(to: number): boolean {
    const mine = this.#attributed;
    if (mine === undefined || to !== mine.count) return false;
    this.#attributed = undefined;
    this.logger.info({ attemptCount: to, operationId: mine.operationId }, 'attempt-count rise is our own update');
    return true;
  }

  /** attempt-count went down (a confirmation or power cycle), or our read-back verified: nothing of ours is left. */
  forget(): void {
    this.#attributed = undefined;
    this.#pendingUntil = undefined;
    this.#pendingOperation = undefined;
  }

  /** While our abandoned update may be pending: the operation that left it, and until when (monotonic ms). */
  mayBePending(): { operationId: string; remainingMs: number } | undefined {
    const until = this.#pendingUntil;
    if (until === undefined || this.#pendingOperation === undefined) return undefined;
    const remainingMs = until - monotonicNowMs();
    return remainingMs > 0 ? { operationId: this.#pendingOperation, remainingMs } : undefined;
  }

  /** An order while our abandoned update may be pending: refused, nothing used (a second update would cancel both). */
  refusal(): { ok: false; code: 'pending-change'; message: string } | undefined {
    const own = this.mayBePending();
    if (!own) return undefined;
    const message =
      `our own update of failed operation ${own.operationId} may still be pending on the router for ` +
      `${Math.ceil(own.remainingMs / 1000)} s (a second update would ` +
      `cancel both); nothing was done, send the order again after that`;
    return { ok: false, code: 'pending-change', message };
  }

  /**
   * The change operation ended as `record` says. Returns what must be challenged when our update may
   * still be pending; undefined when it is not (done, ended by the router, cancelled by us
   * on a version known to drop it, or past its deadline).
   */
  async afterOperation(
    record: OperationRecord | undefined,
    cancelsAbandoned: boolean,
  ): Promise<ObservedPending | undefined> {
    const own = this.#sent;
    this.#sent = undefined;
    if (!own) return undefined;
    if (record?.state === 'done') {
      this.forget();
      return undefined;
    }
    const history = record?.history.map((h) => h.state) ?? [];
    if (history.includes('rebooting') && !history.includes('verifying')) {
      // Our action took the router down and it is not back: its boot confirms or ends any pending change.
      own.cancel();
      return this.closed({ operationId: own.operationId }, 'the router went down after our action');
    }
    // A session cut by a reboot: its own follow-up reads the router back and says how it ended
    // (one handed over to our action was told by the operation's read-back, before it ended).
    if (!ended(own.update) && own.update.phases.some((p) => p.phase === 'connection-dropped'))
      await settled(own.update, DROP_SETTLE_MS);
    if (!ended(own.update)) {
      own.cancel();
      await settled(own.update, CANCEL_SETTLE_MS);
    }
    const outcome = ended(own.update);
    const log = { operationId: own.operationId, outcome: outcome?.phase };
    if (outcome && !mayStillBePending(outcome)) return this.closed(log, 'the router ended it');
    const remainingMs = own.deadlineMono - monotonicNowMs();
    if (remainingMs <= 0) return this.closed(log, 'its activation timeout passed');
    if (cancelsAbandoned)
      return this.closed(
        log,
        'this RouterOS version is known to drop an abandoned update (ours was cancelled or its session cut)',
      );
    this.logger.warn({ ...log, remainingMs }, 'our abandoned update may still be pending; challenging it');
    this.#pendingUntil = own.deadlineMono;
    this.#pendingOperation = own.operationId;
    return {
      attemptCount: own.attemptCount,
      previousAttemptCount: own.attemptCount - 1,
      before: own.before,
      timeoutMs: remainingMs,
      own: { operationId: own.operationId, requestId: own.requestId },
    };
  }

  private closed(log: Record<string, unknown>, why: string): undefined {
    this.logger.info(log, `our update is closed: ${why}`);
    return undefined;
  }
}
