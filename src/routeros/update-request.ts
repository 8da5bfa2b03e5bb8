import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { DeviceModeChange, DeviceModeState } from './device-mode.js';
import { RouterClient } from './client.js';
import { RouterConnection, type Row } from './connection.js';
import type { RouterEndpoint } from './endpoint.js';
import { RouterAbortedError, RouterClosedError, RouterTimeoutError, RouterTrapError } from './errors.js';
import { outcomeAfterDrop, watchAttemptCount, watchForReboot } from './update-watch.js';
import { changeApplied, updateWords, type RouterResource } from './parse.js';
import { pause } from '../time/pause.js';
import { rebootedSince, type UptimeSample } from './reboot.js';

/**
 * How we know the router accepted the request and holds it pending (RouterOS has no field
 * for it): `attempt-count` rose on a separate read session, a progress `!re` arrived on the
 * update's own session, or no trap came within the acceptance window (invalid input is
 * refused at once, so silence means accepted).
 */
export type PendingEvidence = 'attempt-count' | 'progress' | 'no-immediate-trap';

export type UpdatePhase =
  | { phase: 'sent'; attemptCountBefore: number }
  | { phase: 'pending'; evidence: PendingEvidence; attemptCount?: number }
  | { phase: 'progress'; row: Row }
  | { phase: 'connection-dropped'; reason: string }
  | { phase: 'confirmed'; state: DeviceModeState; rebooted: boolean }
  | { phase: 'cancelled'; message: string; elapsedMs: number }
  | { phase: 'rejected'; message: string; category?: number }
  /** mayStillBePending: the session ended without a reboot; the router may hold the change until its timeout. */
  | { phase: 'failed'; reason: string; state?: DeviceModeState; mayStillBePending: boolean }
  | { phase: 'aborted'; mayStillBePending: boolean };

/** What the operation saw after acting, for a session handed over to it (`handOver`). */
export interface SeenAfterAction {
  /** The operation's reboot wait saw the router restart after the action. */
  rebooted: boolean;
  /** The device-mode it read back; undefined when that read failed. */
  state: DeviceModeState | undefined;
}

export type UpdateOutcome = Extract<
  UpdatePhase,
  { phase: 'confirmed' | 'cancelled' | 'rejected' | 'failed' | 'aborted' }
>;

const FINAL = new Set<UpdatePhase['phase']>(['confirmed', 'cancelled', 'rejected', 'failed', 'aborted']);

export interface RequestUpdateOptions {
  signal?: AbortSignal;
  logger?: Logger;
  /** Session for reads (attempt-count, read-back). Made and stopped here if absent. Never carries the update. */
  reader?: RouterClient;
  /** Silence that counts as "accepted" when nothing else shows it; default 2000 ms. */
  acceptWindowMs?: number;
  /** How long the router may take to come back after the session dropped; default 180 s. */
  comeBackTimeoutMs?: number;
  /** Interval of the reads that look for attempt-count and for the router's return; default 500 ms. */
  pollMs?: number;
  /**
   * After the session dropped, how long the router may keep answering unchanged, with no
   * sign of a reboot, before we conclude the drop was not a confirmation; default 15 s.
   * (A read session can outlive the update's session by a moment during a reboot.)
   */
  dropGraceMs?: number;
}

/**
 * Issues one device-mode update on a dedicated connection (never shared, never a probe) and
 * follows it: `sent`, `pending`, any `progress`, then one outcome. Confirmation is only
 * concluded from the router itself: the session dropped, the router came back, and the
 * device-mode read back carries the change. The update's session sends nothing else (no
 * keepalive), so nothing can disturb the pending change.
 */
export function requestUpdate(
  endpoint: RouterEndpoint,
  change: DeviceModeChange,
  activationTimeoutSeconds: number,
  options: RequestUpdateOptions = {},
): UpdateRequest {
  const request = new UpdateRequest(endpoint, change, activationTimeoutSeconds, options);
  request.start();
  return request;
}

export class UpdateRequest extends EventEmitter<{ phase: [UpdatePhase] }> implements AsyncIterable<UpdatePhase> {
  readonly phases: UpdatePhase[] = [];
  readonly outcome: Promise<UpdateOutcome>;
  private settle: (outcome: UpdateOutcome) => void = () => undefined;
  private readonly log: Logger;
  private started = false;
  /** Stops the reads this session makes on its reader (attempt-count, reboot). */
  readonly #stopWatching = new AbortController();
  #connection: RouterConnection | undefined;
  #handedOver = false;
  #tellSeen: (seen: SeenAfterAction) => void = () => undefined;
  readonly #seen = new Promise<SeenAfterAction>((resolve) => (this.#tellSeen = resolve));

  constructor(
    readonly endpoint: RouterEndpoint,
    readonly change: DeviceModeChange,
    readonly activationTimeoutSeconds: number,
    private readonly options: RequestUpdateOptions = {},
  ) {
    super();
    this.log = (options.logger ?? silentLogger()).child({ component: 'device-mode-update', host: endpoint.host });
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }

  /** Every phase from the first, then live ones, ending with the outcome. */
  async *[Symbol.asyncIterator](): AsyncIterator<UpdatePhase> {
    let i = 0;
    for (;;) {
      while (i < this.phases.length) {
        const phase = this.phases[i++] as UpdatePhase;
        yield phase;
        if (FINAL.has(phase.phase)) return;
      }
      await new Promise((resolve) => this.once('phase', resolve));
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.run().catch((error: unknown) => {
      this.log.error({ err: error }, 'device-mode update tracking failed');
      this.push({ phase: 'failed', reason: `internal error: ${String(error)}`, mayStillBePending: true });
    });
  }

  /**
   * The operation acts now, and its reboot wait (src/agent/reboot-wait.ts) is from here on the
   * one watch of the reboot: this session stops its own reads (attempt-count, reboot, the
   * follow-up after its connection drops) and keeps its connection open and silent (closing
   * it might drop the pending change) until `settleBy` tells it what the operation saw.
   */
  handOver(): void {
    if (this.#handedOver) return;
    this.#handedOver = true;
    this.#stopWatching.abort();
  }

  /**
   * After a hand-over: what the operation's reboot wait and read-back saw settles this session,
   * by the same rules as its own follow-up after a drop. A reboot also ends a connection the
   * router left half-open (a power cut sends no FIN); without one it stays, as the change may
   * still be pending (the operation's owner cancels it, src/agent/own-update.ts).
   */
  settleBy(seen: SeenAfterAction): void {
    if (!this.#handedOver) return;
    this.#tellSeen(seen);
    if (seen.rebooted) this.#connection?.destroy('the router rebooted after the action');
  }

  private push(phase: UpdatePhase): void {
    if (this.phases.some((p) => FINAL.has(p.phase))) return;
    this.phases.push(phase);
    this.log.info({ ...phase }, `device-mode update ${phase.phase}`);
    this.emit('phase', phase);
    if (FINAL.has(phase.phase)) this.settle(phase as UpdateOutcome);
  }

  private async run(): Promise<void> {
    const ownReader = !this.options.reader;
    const reader =
      this.options.reader ??
      new RouterClient(this.endpoint, { logger: this.log, backoff: { initialMs: 250, maxMs: 2000 } });
    const connection = new RouterConnection(this.endpoint, this.log);
    this.#connection = connection;
    try {
      if (ownReader) await reader.start();
      await this.follow(reader, connection);
    } finally {
      await connection.close();
      if (ownReader) await reader.stop();
    }
  }

  private async follow(reader: RouterClient, connection: RouterConnection): Promise<void> {
    let before: DeviceModeState;
    let resourceBefore: RouterResource;
    let baselineAt: number;
    try {
      before = await reader.readDeviceMode();
      resourceBefore = await reader.readResource();
      baselineAt = performance.now();
      await connection.open();
    } catch (error) {
      this.push({ phase: 'failed', reason: `nothing sent: ${String(error)}`, mayStillBePending: false });
      return;
    }
    const sentAt = performance.now();
    const baseline = { uptimeSeconds: resourceBefore.uptimeSeconds, atMs: baselineAt };
    const rebooted = (sample: UptimeSample) => rebootedSince(baseline, sample);
    let pending = false;
    const markPending = (evidence: PendingEvidence, attemptCount?: number) => {
      if (pending) return;
      pending = true;
      this.push(
        attemptCount === undefined ? { phase: 'pending', evidence } : { phase: 'pending', evidence, attemptCount },
      );
    };
    const stopWatching = this.#stopWatching;
    // The router decides when the call ends (confirmation or its activation timeout); our
    // bound only catches a router that never answers at all.
    const call = connection.command(updateWords(this.change, this.activationTimeoutSeconds), {
      timeoutMs: this.activationTimeoutSeconds * 1000 + 60_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      onRow: (row) => {
        markPending('progress');
        this.push({ phase: 'progress', row });
      },
    });
    this.push({ phase: 'sent', attemptCountBefore: before.attemptCount });
    const acceptTimer = setTimeout(() => markPending('no-immediate-trap'), this.options.acceptWindowMs ?? 2000);
    const pollMs = this.options.pollMs ?? 500;
    void watchAttemptCount(reader, before.attemptCount, pollMs, stopWatching.signal, markPending);
    void watchForReboot(reader, rebooted, Math.max(pollMs * 2, 1000), stopWatching.signal, () => {
      this.log.warn('router rebooted while the update session stayed silent; dropping it');
      connection.destroy('the router rebooted while this session stayed silent');
    });
    try {
      await call;
      // An update that returns without a reboot: believe only what the router reads back.
      const state = await reader.readDeviceMode();
      if (changeApplied(before, this.change, state)) this.push({ phase: 'confirmed', state, rebooted: false });
      else
        this.push({
          phase: 'failed',
          reason: 'update returned without applying the change',
          state,
          mayStillBePending: false,
        });
    } catch (error) {
      stopWatching.abort();
      clearTimeout(acceptTimer);
      if (error instanceof RouterTrapError) {
        if (/cancel/i.test(error.routerMessage))
          this.push({
            phase: 'cancelled',
            message: error.routerMessage,
            elapsedMs: Math.round(performance.now() - sentAt),
          });
        else
          this.push({
            phase: 'rejected',
            message: error.routerMessage,
            ...(error.category === undefined ? {} : { category: error.category }),
          });
      } else if (error instanceof RouterAbortedError) {
        this.push({ phase: 'aborted', mayStillBePending: true });
      } else if (error instanceof RouterClosedError) {
        this.push({ phase: 'connection-dropped', reason: error.message });
        if (this.#handedOver) await this.settleAfterHandOver(before);
        else await this.afterDrop(reader, before, rebooted);
      } else {
        this.push({ phase: 'failed', reason: String(error), mayStillBePending: true });
      }
    } finally {
      stopWatching.abort();
      clearTimeout(acceptTimer);
    }
  }

  /** After the update's session dropped: wait for the router and judge by what it reads back. */
  private async afterDrop(
    reader: RouterClient,
    before: DeviceModeState,
    rebootedSince: (r: UptimeSample) => boolean,
  ): Promise<void> {
    const droppedAt = performance.now();
    const deadline = droppedAt + (this.options.comeBackTimeoutMs ?? 180_000);
    const graceUntil = droppedAt + (this.options.dropGraceMs ?? 15_000);
    const pollMs = this.options.pollMs ?? 500;
    let last: DeviceModeState | undefined;
    while (performance.now() < deadline) {
      if (this.options.signal?.aborted) {
        this.push({ phase: 'aborted', mayStillBePending: true });
        return;
      }
      try {
        const sentAtMs = performance.now();
        const { uptimeSeconds } = await reader.readResource({ timeoutMs: 2000 });
        const state = await reader.readDeviceMode({ timeoutMs: 2000 });
        last = state;
        const rebooted = rebootedSince({ uptimeSeconds, sentAtMs });
        const outcome = outcomeAfterDrop(before, this.change, state, rebooted);
        if (outcome.phase === 'confirmed' || rebooted || performance.now() >= graceUntil) return this.push(outcome);
      } catch (error) {
        if (!reader.isStarted) {
          // Our owner is shutting down: nothing left to read with.
          this.push({
            phase: 'failed',
            reason: 'read session stopped before the router came back',
            mayStillBePending: true,
          });
          return;
        }
        // Still away (or stalled): keep waiting. A read session left half-open by a power
        // cut (no FIN) would stay silent for ever: drop it once the port is gone.
        if (error instanceof RouterTimeoutError && !(await reader.portAnswers(1000))) await reader.recycle();
      }
      await pause(pollMs, this.options.signal);
    }
    this.push({
      phase: 'failed',
      reason: 'router did not come back in time',
      ...(last ? { state: last } : {}),
      mayStillBePending: true,
    });
  }

  /** The session dropped after a hand-over: the operation's reboot wait and read-back decide (no read here). */
  private async settleAfterHandOver(before: DeviceModeState): Promise<void> {
    const waited = new AbortController();
    const stop = this.options.signal ? AbortSignal.any([this.options.signal, waited.signal]) : waited.signal;
    const seen = await Promise.race([
      this.#seen,
      pause(this.options.comeBackTimeoutMs ?? 180_000, stop).then(() => undefined),
    ]);
    waited.abort();
    if (!seen) {
      if (this.options.signal?.aborted) this.push({ phase: 'aborted', mayStillBePending: true });
      else this.push({ phase: 'failed', reason: 'router did not come back in time', mayStillBePending: true });
      return;
    }
    // The operation's reboot wait already gave the router its whole boot time: no grace left.
    if (seen.state) this.push(outcomeAfterDrop(before, this.change, seen.state, seen.rebooted));
    else
      this.push({ phase: 'failed', reason: 'device-mode was not read back after the action', mayStillBePending: true });
  }
}
