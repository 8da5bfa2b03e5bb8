import { EventEmitter } from 'node:events';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Logger } from '../../log/logger.js';
import type { ReasonCode } from '../../mqtt/contract.js';
import type { DeviceModeState } from '../../routeros/device-mode.js';
import { StateWriteError } from '../../store/state-error.js';
import type { WallClock } from '../../time/wall-clock.js';
import type { OpenedEnvelope } from '../../trust/jws.js';
import type { Cancel, ChangeRequest, PowerCycle } from '../../trust/messages.js';
import type { TrustGate } from '../../trust/trust-gate.js';
import type { Accepted, RouterBinding } from '../../trust/verify.js';
import { commitOrder } from '../flows/before-start.js';
import type { Publisher } from '../publisher.js';
import type { AlarmInput } from '../router-context.js';
import type { StartVerdict } from '../router-supervisor.js';
import { MAX_SCHEDULED, ScheduleBook, type ScheduledOrder } from './schedule-book.js';
import { closesAt, expectationOf, publishedList, routerDrift } from './schedule-decisions.js';

/** What the scheduler needs of a router (the supervisor). */
export interface ScheduledRouter {
  readonly name: string;
  readonly client: { readDeviceMode(options?: { timeoutMs?: number }): Promise<DeviceModeState> };
  alarm(alarm: AlarmInput): Promise<void>;
  /** The supervisor's mailbox: the order starts as if it had just arrived. */
  deliver(order: Accepted<ChangeRequest> | Accepted<PowerCycle>, digest: string): Promise<StartVerdict>;
}

export interface SchedulerDeps {
  book: ScheduleBook;
  gate: Pick<TrustGate, 'verifyChangeRequest' | 'verifyPowerCycle' | 'routerFor'>;
  routers: ReadonlyMap<string, ScheduledRouter>;
  publisher: Publisher;
  audit: Pick<AuditLog, 'append'>;
  clock: WallClock;
  logger: Logger;
  /** How often waiting orders are checked against the wall clock (default 15 s). */
  checkMs?: number;
  /** How long an order that could not start yet (busy, router away) waits before trying again (default 30 s). */
  retryMs?: number;
}

/** Causes that leave nothing used and may be gone soon: tried again while the window lasts. */
const TRY_AGAIN = new Set<string>(['busy', 'actuator-busy', 'router-unreachable', 'rate-limited']);

type Scheduled = Accepted<ChangeRequest> | Accepted<PowerCycle>;

/**
 * Orders accepted before their window opened: kept (ScheduleBook), published (retained
 * `scheduled` topic and a `scheduled` answer), and started when the window opens: verified
 * again (a key revoked or a policy tightened meanwhile stops it) on the reading the door made
 * of the exact bytes (after a restart: on the bytes), the router read and compared with what
 * it showed at scheduling, then handed to the router's supervisor like an order that just
 * arrived, which commits its nonce, id and rate budget.
 * Wall time is polled, not waited on with one long timer: a clock stepped by NTP is seen.
 */
export class Scheduler extends EventEmitter<{ fatal: [Error] }> {
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  /** Request ids being opened or cancelled now: one of the two, never both (a cancel then is too late). */
  readonly #busy = new Set<string>();
  /** Request id → wall ms before which a retry is not tried. */
  readonly #retryAt = new Map<string, number>();
  /** Request id → the order as the door read it: verified again on that reading (after a restart: its bytes). */
  readonly #readings = new Map<string, OpenedEnvelope>();

  constructor(private readonly deps: SchedulerDeps) {
    super();
  }

  async start(): Promise<void> {
    await this.deps.book.load();
    this.publish();
    // A bug here ends the process like any other (crash-only): the orders wait in the file.
    const fatal = (error: unknown) => this.emit('fatal', error instanceof Error ? error : new Error(String(error)));
    this.#timer = setInterval(() => void this.check().catch(fatal), this.deps.checkMs ?? 15_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking;
  }

  /**
   * An order whose request id was scheduled here: the same bytes again (a redelivery after a
   * restart) are answered `scheduled` again while they wait; anything else under that id is
   * `replayed`. Undefined: the id is not held here.
   */
  answerHeld(requestId: string, digest: string): StartVerdict | undefined {
    const held = this.deps.book.get(requestId);
    if (!held) return undefined;
    if (held.digest !== digest || held.state !== 'scheduled') {
      return {
        ok: false,
        code: 'replayed',
        message: `request id ${requestId} was already scheduled here (${held.state})`,
      };
    }
    this.deps.publisher.progress(requestId, {
      state: 'scheduled',
      router: held.router,
      final: false,
      inReplyTo: digest,
      detail: `already scheduled: acts when the window opens at ${iso(held.opensAt)}`,
    });
    return { ok: true };
  }

  /**
   * Keeps a verified order whose window has not opened (accepted.opensAt), after reading what
   * the router shows: its bytes in the book, and the door's reading of them (if given) here.
   */
  async schedule(
    kind: 'request' | 'powercycle',
    accepted: Scheduled,
    digest: string,
    received: { payload: Uint8Array; opened?: OpenedEnvelope | undefined },
    router: ScheduledRouter,
  ): Promise<StartVerdict> {
    const message = accepted.message;
    const held = this.answerHeld(message.requestId, digest);
    if (held) return held;
    if (this.deps.book.waiting().length >= MAX_SCHEDULED) {
      return {
        ok: false,
        code: 'schedule-full',
        message: `${MAX_SCHEDULED} orders already wait for their windows on this agent; cancel one or send it later`,
      };
    }
    const binding = this.deps.gate.routerFor(message.router);
    let state: DeviceModeState;
    try {
      state = await router.client.readDeviceMode({ timeoutMs: 5000 });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        code: 'router-unreachable',
        message:
          `router not readable: ${text}; the order needs what the router ` +
          `shows now to be scheduled, send it again once it answers`,
      };
    }
    const now = this.deps.clock.now();
    const order: ScheduledOrder = {
      ...{
        requestId: message.requestId,
        digest,
        kind,
        router: router.name,
        payload: Buffer.from(received.payload).toString('base64url'),
      },
      ...{ opensAt: accepted.opensAt ?? now, closesAt: closesAt(message), scheduledAt: now, state: 'scheduled' },
      ...(message.urgent ? { urgent: true } : {}),
      expect: expectationOf(binding ?? {}, state),
    };
    if (!(await this.deps.book.add(order)))
      return { ok: false, code: 'replayed', message: `request id ${message.requestId} is already scheduled here` };
    if (received.opened) this.#readings.set(order.requestId, received.opened);
    await this.record('scheduled', {
      requestId: order.requestId,
      router: order.router,
      opensAt: iso(order.opensAt),
      closesAt: iso(order.closesAt),
      expect: order.expect,
    });
    const detail =
      `scheduled: acts when the window opens at ${iso(order.opensAt)} (expires ${iso(order.closesAt)}) ` +
      `if ${router.name} still shows attempt-count ${state.attemptCount}, mode ${state.mode}`;
    this.deps.publisher.progress(order.requestId, {
      state: 'scheduled',
      router: router.name,
      final: false,
      inReplyTo: digest,
      detail,
    });
    this.deps.publisher.event({
      type: 'info',
      severity: 'info',
      code: 'order-scheduled',
      message: detail,
      router: router.name,
      requestId: order.requestId,
    });
    this.publish();
    return { ok: true };
  }

  /** A verified cancel: ends a waiting order of that router; the cancel's own id is recorded (commit). */
  async cancel(accepted: Accepted<Cancel>, digest: string, router: string): Promise<StartVerdict> {
    const target = accepted.message.cancels;
    const order = this.deps.book.get(target);
    if (order?.state !== 'scheduled' || order.router !== router || this.#busy.has(target)) {
      const why =
        !order || order.router !== router
          ? 'no such order is scheduled for this router'
          : order.state === 'scheduled'
            ? 'it is starting now'
            : `it has ${order.state}`;
      return { ok: false, code: 'not-scheduled', message: `cannot cancel ${target}: ${why}` };
    }
    this.#busy.add(target);
    try {
      const committed = await commitOrder(accepted);
      if (!committed.ok) return committed;
      const names = accepted.approverNames.join(', ');
      if (
        !(await this.end(
          order,
          'cancelled',
          `cancelled by ${names} (cancel ${accepted.message.requestId})`,
          'schedule-cancelled',
        ))
      ) {
        return { ok: false, code: 'not-scheduled', message: `cannot cancel ${target}: it started or ended meanwhile` };
      }
    } finally {
      this.#busy.delete(target);
    }
    this.deps.publisher.progress(accepted.message.requestId, {
      state: 'done',
      router,
      final: true,
      inReplyTo: digest,
      detail: `scheduled order ${target} cancelled`,
    });
    return { ok: true };
  }

  /** Opens every waiting order whose time has come, one at a time; expires those whose window closed. */
  check(): Promise<void> {
    this.#checking ??= this.checkOnce().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  private async checkOnce(): Promise<void> {
    try {
      const now = this.deps.clock.now();
      for (const order of this.deps.book.waiting()) {
        if (order.opensAt > now || (this.#retryAt.get(order.requestId) ?? 0) > now) continue;
        // Read again: a cancel may have ended it while an earlier order was opening.
        if (this.deps.book.get(order.requestId)?.state !== 'scheduled' || this.#busy.has(order.requestId)) continue;
        this.#busy.add(order.requestId);
        await this.open(order).finally(() => this.#busy.delete(order.requestId));
      }
      if (await this.deps.clock.isSynchronized()) await this.deps.book.prune(this.deps.clock.now());
    } catch (error) {
      if (!(error instanceof StateWriteError)) throw error;
      // Nothing started: the order stays waiting in the file and is tried again at the next check.
      this.deps.logger.error({ err: error }, 'the schedule could not be recorded; tried again at the next check');
    }
  }

  private async open(order: ScheduledOrder): Promise<void> {
    const router = this.deps.routers.get(order.router);
    if (!router)
      return void (await this.end(order, 'failed', `router ${order.router} is no longer configured`, 'wrong-router'));
    if (!(await this.deps.clock.isSynchronized())) {
      const text =
        `the window of ${order.requestId} opened but this clock is not synchronized, so the ` +
        `agent cannot tell that it did; nothing was done, the order expires with its window`;
      await router.alarm({
        code: 'schedule-clock-unsynced',
        severity: 'critical',
        message: text,
        requestId: order.requestId,
      });
      return void (await this.end(order, 'expired', text, 'schedule-clock-unsynced'));
    }
    const input = this.#readings.get(order.requestId) ?? Buffer.from(order.payload, 'base64url');
    const verdict =
      order.kind === 'request'
        ? await this.deps.gate.verifyChangeRequest(input)
        : await this.deps.gate.verifyPowerCycle(input);
    if (!verdict.ok && TRY_AGAIN.has(verdict.reason)) return this.retryLater(order, verdict.detail);
    if (!verdict.ok)
      return void (await this.end(
        order,
        verdict.reason === 'expired' ? 'expired' : 'failed',
        verdict.detail,
        verdict.reason,
      ));
    if (verdict.opensAt !== undefined) return void (await this.deps.book.postpone(order.requestId, verdict.opensAt));
    const drift = await this.drift(order, router);
    if (drift === null) return this.retryLater(order, 'the router does not answer');
    if (drift) {
      const text = `scheduled order ${order.requestId} not started: ${drift}`;
      await router.alarm({
        code: 'schedule-router-changed',
        type: 'security',
        severity: 'critical',
        message: text,
        requestId: order.requestId,
      });
      return void (await this.end(order, 'failed', text, 'schedule-router-changed'));
    }
    const message = verdict.message;
    const started = await router.deliver(
      message.kind === 'change-request' ? { ...verdict, message } : { ...verdict, message },
      order.digest,
    );
    if (started.ok) return void (await this.end(order, 'started', 'the window opened: started', undefined));
    if (TRY_AGAIN.has(started.code)) return this.retryLater(order, started.message);
    await this.end(order, 'failed', started.message, started.code);
  }

  /** How the router differs from when scheduled (undefined: it matches; null: it cannot be read now). */
  private async drift(order: ScheduledOrder, router: ScheduledRouter): Promise<string | undefined | null> {
    const { serial, systemId } = order.expect;
    const ref = serial !== undefined ? { serial } : systemId !== undefined ? { systemId } : undefined;
    const binding: Partial<RouterBinding> = (ref && this.deps.gate.routerFor(ref)) ?? {};
    const state = await router.client.readDeviceMode({ timeoutMs: 5000 }).catch(() => undefined);
    if (!state) return null;
    return routerDrift(order.expect, expectationOf(binding, state));
  }

  private retryLater(order: ScheduledOrder, why: string): void {
    const at = this.deps.clock.now() + (this.deps.retryMs ?? 30_000);
    this.#retryAt.set(order.requestId, at);
    this.deps.logger.info({ requestId: order.requestId, why }, 'scheduled order could not start yet; trying again');
  }

  /** Ends an order: recorded, answered (final), the retained list published again. */
  private async end(
    order: ScheduledOrder,
    state: 'started' | 'cancelled' | 'expired' | 'failed',
    detail: string,
    code: ReasonCode | undefined,
  ): Promise<boolean> {
    if (!(await this.deps.book.end(order.requestId, state, this.deps.clock.now(), detail))) return false;
    this.#retryAt.delete(order.requestId);
    this.#readings.delete(order.requestId);
    await this.record(`schedule-${state}`, {
      requestId: order.requestId,
      router: order.router,
      detail,
      ...(code ? { code } : {}),
    });
    if (state !== 'started') {
      const error = code ? { code, message: detail } : undefined;
      this.deps.publisher.progress(
        order.requestId,
        {
          state: state === 'failed' ? 'failed' : state,
          router: order.router,
          final: true,
          inReplyTo: order.digest,
          detail,
        },
        error,
      );
    }
    this.publish();
    return true;
  }

  private publish(): void {
    this.deps.publisher.scheduled(publishedList(this.deps.book.waiting()));
  }

  private async record(type: string, data: Record<string, unknown>): Promise<void> {
    await this.deps.audit.append(type, data).catch((error: unknown) => {
      if (!(error instanceof StateWriteError)) throw error;
      this.deps.logger.error({ err: error, type }, 'audit entry not recorded');
    });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
