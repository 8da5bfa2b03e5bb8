import type { Logger } from '../log/logger.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import type { DeviceModeWatcher, WatchSample } from '../routeros/watcher.js';
import { ATTEMPT_LIMIT } from './flows/change-flow.js';
import type { ObservedPending } from './flows/observed-flow.js';
import type { OrderChallengeDesk } from './order-challenge.js';
import type { OwnUpdates } from './own-update.js';
import type { AlarmInput } from './router-context.js';
import { stallConfirmMs, type RouterBehaviours } from './router-behaviour.js';
import type { RouterStateReporter } from './router-state.js';
import type { VerifiedBaseline } from './verified-baseline.js';

export interface ChangeWatchDeps {
  name: string;
  watcher: Pick<DeviceModeWatcher, 'rebase' | 'stallAfterMs'>;
  /** Our own update: its rise is ours (own-update.ts). */
  own: OwnUpdates;
  behaviours: RouterBehaviours;
  orders: Pick<OrderChallengeDesk, 'read'>;
  state: Pick<RouterStateReporter, 'sample'>;
  verified: Pick<VerifiedBaseline, 'observe'>;
  logger: Logger;
  now: () => Date;
  /** A baseline write in the background (the supervisor reports or fails on its error). */
  recordVerified: (write: Promise<void>) => void;
  alarm: (alarm: AlarmInput) => void;
  /** RouterOS version read at pairing: what it is known to do while a change is pending. */
  version: () => string | undefined;
  /** An operation is running (or an order is being checked). */
  busy: () => boolean;
  /** Quarantined or stopping: no new operation starts. */
  halted: () => boolean;
  /** Someone else's change: start the observed flow. */
  observed: (observed: ObservedPending) => void;
}

/**
 * What the watcher's readings mean for one router: the latest device-mode (the baseline of
 * an observed change, the last verified one while idle), alarms on a flagged router or
 * exhausted attempts, and someone else's change: a rise of attempt-count that is not ours,
 * or (RouterOS versions that stall other sessions while a change is pending) a stall that
 * lasts. A rise seen while our own operation ends, over its verified read-back, waits for it.
 */
export class ChangeWatch {
  #last: DeviceModeState | undefined;
  /** The active operation read device-mode back: a rise from here on is not ours. */
  #rebased = false;
  #deferredRise: { from: number; to: number; sample: WatchSample } | undefined;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ChangeWatchDeps) {}

  /** Latest device-mode read (by the watcher, or an operation's read-back). */
  get last(): DeviceModeState | undefined {
    return this.#last;
  }

  sample(sample: WatchSample): void {
    const { deps } = this;
    const previous = this.#last;
    this.#last = sample.deviceMode;
    if (previous && sample.deviceMode.attemptCount < previous.attemptCount) deps.own.forget();
    const at = deps.now();
    deps.orders.read(sample.deviceMode, at);
    if (!deps.busy()) deps.recordVerified(deps.verified.observe(deps.name, sample.deviceMode, at));
    deps.state.sample(sample);
    if (sample.deviceMode.flagged && !previous?.flagged) {
      deps.alarm({
        code: 'router-flagged',
        type: 'security',
        severity: 'critical',
        message: 'RouterOS flagged this router: signs of tampering at boot',
      });
    }
    if (sample.deviceMode.attemptCount >= ATTEMPT_LIMIT && (previous?.attemptCount ?? 0) < ATTEMPT_LIMIT) {
      deps.alarm({
        code: 'attempts-exhausted',
        message: `attempt-count ${sample.deviceMode.attemptCount}: further updates are refused until a power cycle`,
      });
    }
  }

  /** The read-back after our action is the watcher's new baseline (#15: a change requested right after a reboot). */
  rebase(state: DeviceModeState): void {
    this.#last = state;
    this.deps.watcher.rebase(state);
    this.#rebased = true;
    this.deps.own.forget();
  }

  rose(from: number, to: number, sample: WatchSample): void {
    const { deps } = this;
    // A rise over the verified read-back is someone else's, even while our operation ends.
    if (deps.busy() && this.#rebased) this.#deferredRise = { from, to, sample };
    // Our own request raises attempt-count too; flows check that rise themselves.
    if (deps.busy() || deps.halted()) return;
    if (deps.own.ours(to)) return;
    deps.observed({ attemptCount: to, previousAttemptCount: from, before: this.#last ?? sample.deviceMode });
  }

  /** The operation ended: a rise deferred while it ended is handled now. */
  operationEnded(): void {
    this.#rebased = false;
    const rise = this.#deferredRise;
    this.#deferredRise = undefined;
    if (rise) this.rose(rise.from, rise.to, rise.sample);
  }

  /**
   * Some RouterOS versions stop answering other sessions while a change is pending, so
   * attempt-count cannot be seen to rise. A stall alone is also what a merely slow router
   * does: it counts as someone else's change (one more attempt than last seen) only with a
   * second signal, the stall lasting stallConfirmMs, and never on a version known to keep
   * answering while a change is pending (router-behaviour.ts).
   */
  stalled(): void {
    const version = this.deps.version();
    if (this.deps.behaviours.stallsOthersWhilePending(version) === false) {
      this.deps.logger.warn({ version }, 'poll stalled; this version answers while a change is pending: a slow router');
      return;
    }
    clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => this.stallConfirmed(), stallConfirmMs(this.deps.watcher.stallAfterMs));
    this.#stallTimer.unref();
  }

  stallEnded(): void {
    clearTimeout(this.#stallTimer);
  }

  stop(): void {
    clearTimeout(this.#stallTimer);
  }

  private stallConfirmed(): void {
    const { deps } = this;
    const last = this.#last;
    if (deps.busy() || deps.halted() || !last) return;
    // Our own abandoned update, still pending: a router that stalls other sessions meanwhile.
    if (deps.own.mayBePending()) return;
    deps.observed({
      attemptCount: last.attemptCount + 1,
      previousAttemptCount: last.attemptCount,
      before: last,
      stalled: true,
    });
  }
}
