import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { createActuator, type Actuator, type CreateActuatorDeps } from '../actuators/index.js';
import type { RouterConfig } from '../config/router-schema.js';
import type { Policy } from '../config/policy-schema.js';
import type { Logger } from '../log/logger.js';
import { RouterClient } from '../routeros/client.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import { DeviceModeWatcher, type WatchSample } from '../routeros/watcher.js';
import type { Approval, ChangeRequest, PowerCycle } from '../trust/messages.js';
import type { TrustGate } from '../trust/trust-gate.js';
import type { Accepted, RouterBinding } from '../trust/verify.js';
import { StateWriteError } from '../store/state-error.js';
import { runChangeRequest, ATTEMPT_LIMIT } from './flows/change-flow.js';
import { ApprovalWaiter, runObservedPending } from './flows/observed-flow.js';
import { runPowerCycle } from './flows/powercycle-flow.js';
import { recoverOperation } from './recovery.js';
import { beforeChange, beforePowerCycle, commitOrder, type Prepared } from './flows/before-start.js';
import type { VerifiedBaseline } from './verified-baseline.js';
import { OrderChallengeDesk } from './order-challenge.js';
import type { OperationRecord } from './journal.js';
import type { Operation, OperationServices } from './operation.js';
import { judgePairing, type PairingStore } from '../pairing/paired-unit.js';
import type { Publisher } from './publisher.js';
import type { AlarmInput, RouterContext } from './router-context.js';
import { routerPort } from './ports.js';
import { RouterStateReporter } from './router-state.js';
import type { ReasonCode } from '../mqtt/contract.js';
import { ProblemWatch } from './router-problem.js';
import { stallConfirmMs, stallsOthersWhilePending } from './router-behaviour.js';

export interface SupervisorDeps {
  gate: TrustGate;
  identity: RouterBinding;
  policy: Policy;
  publisher: Publisher;
  pairing: PairingStore;
  /** Last verified device-mode per router (what a power cycle must bring back). */
  verified: VerifiedBaseline;
  services: Omit<OperationServices, 'onChange'>;
  logger: Logger;
  actuatorDeps?: Partial<CreateActuatorDeps>;
  /** The agent's state directory: the router's last result is kept there across restarts. */
  stateDir?: string;
  /** A router away this long (no operation of ours running) raises its alarm; default 120 s. */
  outageAlarmMs?: number;
}

export type StartVerdict = { ok: true } | { ok: false; code: ReasonCode; message: string };

/**
 * One router: its read session, watcher, actuators, pairing, and at most one operation.
 * A flow that throws is a bug: the supervisor reports it as `fatal`, and the launcher
 * exits so systemd restarts us into crash recovery (crash-only beats half-alive).
 */
export class RouterSupervisor extends EventEmitter<{ fatal: [Error] }> {
  readonly client: RouterClient;
  readonly #watcher: DeviceModeWatcher;
  readonly #actuators: { button?: Actuator; power?: Actuator } = {};
  readonly #stopping = new AbortController();
  readonly #state: RouterStateReporter;
  #active: Promise<void> | undefined;
  /** The operation the active flow created or resumed, if any. */
  #operation: Operation | undefined;
  #waiter: ApprovalWaiter | undefined;
  #quarantine: string | undefined;
  #actuatorsStarted = false;
  #last: DeviceModeState | undefined;
  readonly #problems: ProblemWatch;
  /** The active operation read device-mode back: a rise from here on is not ours. */
  #rebased = false;
  #deferredRise: { from: number; to: number; sample: WatchSample } | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  /** RouterOS version read at pairing: what it is known to do while a change is pending. */
  #version: string | undefined;
  readonly #orders: OrderChallengeDesk;

  constructor(
    readonly config: RouterConfig,
    private readonly deps: SupervisorDeps,
  ) {
    super();
    const logger = deps.logger;
    // A reboot we caused must be noticed quickly: a reconnect attempt is one cheap TCP connect.
    // Logins back off 500 ms doubling to 30 s (a router's own login protection counts failures); a
    // reboot we caused or an order that needs the router skips the wait (retryNow, connectNow).
    this.client = new RouterClient(config, { logger });
    this.#watcher = new DeviceModeWatcher(config, { client: this.client, intervalMs: config.pollIntervalMs, logger });
    for (const role of ['button', 'power'] as const) {
      const actuatorConfig = config.actuators[role];
      if (actuatorConfig) this.#actuators[role] = createActuator(actuatorConfig, { logger, name: `${config.name}/${role}`, ...deps.actuatorDeps });
    }
    const store = deps.stateDir ? { file: join(deps.stateDir, 'results', `${config.name}.json`), logger } : undefined;
    this.#state = new RouterStateReporter(config.name, deps.publisher, store, deps.identity);
    this.#problems = new ProblemWatch({
      show: (problem) => this.#state.problem(problem, deps.services.now()),
      alarm: (alarm) => this.alarmInBackground(alarm),
      busy: () => this.#active !== undefined,
      outageAlarmMs: deps.outageAlarmMs,
    });
    this.#orders = new OrderChallengeDesk(config.name, deps);
  }

  get name(): string {
    return this.config.name;
  }

  get busy(): boolean {
    return this.#active !== undefined;
  }

  get context(): RouterContext {
    return {
      name: this.config.name,
      config: this.config,
      client: routerPort(this.config, this.client),
      actuators: this.#actuators,
      identity: this.deps.identity,
      gate: this.deps.gate,
      policy: this.deps.policy,
      publisher: this.deps.publisher,
      services: {
        ...this.deps.services,
        onChange: (record) => {
          if (record.state === 'done') this.operationVerified(record);
          this.#state.operation(record);
        },
        track: (operation) => (this.#operation = operation),
      },
      logger: this.deps.logger,
      lastState: () => this.#last,
      alarm: (alarm) => this.alarm(alarm),
      verified: (state) => this.rebase(state),
      draftChallenge: async () => {
        if (await this.deps.gate.clockSynced()) return undefined;
        const book = this.deps.gate.challenges;
        return book.openOrderChallenge(this.name) ?? (await book.open(this.deps.identity, 'order'));
      },
      signal: this.#stopping.signal,
    };
  }

  /**
   * Forces every output to its released level (button up, power on). The agent does this
   * before it touches its state directory: a restart after a crash mid-power-cut restores
   * the power even if the directory has since gone read-only and the agent cannot start.
   */
  async releaseActuators(): Promise<void> {
    if (this.#actuatorsStarted) return;
    this.#actuatorsStarted = true;
    for (const actuator of Object.values(this.#actuators)) await actuator.start();
  }

  /** Releases every output first, then connects, pairs, recovers and starts watching. */
  async start(journaled: OperationRecord | undefined): Promise<void> {
    await this.releaseActuators();
    await this.#state.load();
    // A router paired before is addressable at once, also while it does not answer (a hung
    // router after the Pi restarted can still be power-cycled); checkPairing re-checks it.
    const paired = this.deps.pairing.get(this.name);
    if (paired && this.deps.identity.serial === undefined && this.deps.identity.systemId === undefined) {
      this.deps.identity.serial = paired.serial;
      this.deps.identity.systemId = paired.systemId;
    }
    await this.client.start();
    await this.checkPairing();
    this.client.on('connect-failed', (error) => {
      if (!this.#stopping.signal.aborted) this.#problems.failed(error);
    });
    this.client.on('connected', () => this.#problems.connected());
    this.#watcher.on('state', (sample) => this.onSample(sample));
    this.#watcher.on('attempt-count-rose', ({ from, to, sample }) => this.onAttemptRise(from, to, sample));
    this.#watcher.on('stalled', () => this.onStall());
    this.#watcher.on('stall-ended', () => clearTimeout(this.#stallTimer));
    this.#watcher.on('unreachable', () => {
      this.#orders.unreachable();
      this.#state.reachable(false);
    });
    this.#watcher.on('back', () => void this.checkPairing().catch((error: unknown) => this.fail(error)));
    if (journaled) {
      this.run(async () => {
        const still = await recoverOperation(this.context, journaled);
        if (still && !this.#quarantine && !this.#stopping.signal.aborted) {
          await runObservedPending(this.context, still, (waiter) => {
            this.#waiter = waiter;
          });
        }
      });
    }
    await this.#watcher.start();
  }

  /** Stops waiting, lets a started pulse release, then releases and closes everything. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearTimeout(this.#stallTimer);
    this.#waiter?.close();
    await this.#watcher.stop();
    await this.#active?.catch(() => undefined);
    for (const actuator of Object.values(this.#actuators)) {
      await actuator.stop().catch((error: unknown) => this.deps.logger.error({ err: error }, 'actuator stop failed'));
    }
    await this.client.stop();
    await this.#state.flushed();
  }

  /** Publishes the router state again with a fresh time (the agent's heartbeat). */
  heartbeat(): void {
    this.#state.refresh();
  }

  /** Releases every output now, without waiting for the flow (the launcher's last resort at stop). */
  async forceRelease(): Promise<void> {
    const failed = (error: unknown) => this.deps.logger.error({ err: error }, 'actuator stop failed');
    await Promise.all(Object.values(this.#actuators).map((a) => a.stop().catch(failed)));
  }

  startChange(accepted: Accepted<ChangeRequest>, digest: string): Promise<StartVerdict> {
    return this.begin(accepted, () => beforeChange(this.context, accepted.message), (before) => runChangeRequest(this.context, accepted, digest, before));
  }

  startPowerCycle(accepted: Accepted<PowerCycle>, digest: string): Promise<StartVerdict> {
    const check = () => beforePowerCycle(this.context, accepted.message, this.deps.verified.get(this.name));
    return this.begin(accepted, check, (plan) => runPowerCycle(this.context, accepted, digest, plan));
  }

  /** Someone asked for a fresh challenge (unsigned): see OrderChallengeDesk. */
  offerOrderChallenge(clockSynced: boolean): Promise<void> {
    return this.#orders.offer(clockSynced);
  }

  /**
   * A verified approval: recorded as used (nonce, id, rate budget) when the flow waiting on
   * the challenge it quotes takes it, then that flow wakes. Refused with nothing used when
   * no flow waits on that challenge; a StateWriteError propagates (the challenge stays open).
   */
  async deliverApproval(accepted: Accepted<Approval>, digest: string): Promise<StartVerdict> {
    const waiter = this.#waiter;
    const quoted = accepted.message.challenge.challengeId;
    if (!waiter || waiter.challenge.challengeId !== quoted || !waiter.open) {
      return { ok: false, code: 'wrong-challenge', message: `router ${this.name} is not waiting on challenge ${quoted} (closed, or another approval was taken)` };
    }
    const committed = await commitOrder(accepted);
    if (!committed.ok) return committed;
    if (!waiter.accept(accepted, digest)) return { ok: false, code: 'too-late', message: `challenge ${quoted} closed while the approval was recorded` };
    return { ok: true };
  }

  /**
   * Starts an order only when it can really start: not quarantined or busy, its checks
   * passed, its nonce, id and rate budget recorded. A refusal before that has used nothing,
   * so the same bytes work once the cause is gone. Nothing else starts while it checks.
   */
  private async begin<P>(accepted: Pick<Accepted<ChangeRequest>, 'commit'>, check: () => Promise<Prepared<P>>, flow: (value: P) => Promise<void>): Promise<StartVerdict> {
    if (this.#quarantine) return { ok: false, code: 'router-identity-changed', message: this.#quarantine };
    if (this.#active) return { ok: false, code: 'busy', message: `router ${this.name} has an operation in progress; nothing was done, send the order again later` };
    let release: () => void = () => undefined;
    const checking = new Promise<void>((resolve) => (release = resolve));
    this.#active = checking;
    try {
      // The order needs the router: reconnect at once rather than after the rest of a backoff.
      await this.client.connectNow();
      const prepared = await check();
      if (!prepared.ok) return prepared;
      const committed = await commitOrder(accepted);
      if (!committed.ok) return committed;
      this.run(() => flow(prepared.value));
      return { ok: true };
    } finally {
      if (this.#active === checking) this.#active = undefined;
      release();
    }
  }

  private run(flow: () => Promise<void>): void {
    this.#operation = undefined;
    this.#active = flow()
      .catch((error: unknown) => (error instanceof StateWriteError ? this.stateFailed(error) : this.fail(error)))
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.#active = undefined;
        this.#operation = undefined;
        this.#rebased = false;
        const rise = this.#deferredRise;
        this.#deferredRise = undefined;
        if (rise) this.onAttemptRise(rise.from, rise.to, rise.sample);
      });
  }

  /**
   * A flow could not record a step before acting (the operation rethrows only then): the
   * operation ends failed with `state-unwritable`, published, and the agent keeps running.
   */
  private async stateFailed(error: StateWriteError): Promise<void> {
    const operation = this.#operation;
    if (operation) await operation.abandon(error);
    else this.deps.services.health.report(error, { what: 'start an operation', router: this.name });
  }

  /**
   * The state directory takes writes again: with no operation running, a journal record
   * left behind (its final write or clear failed) belongs to a finished operation.
   */
  async stateRecovered(): Promise<void> {
    if (this.#active) return;
    await this.deps.services.journal.clear(this.name).catch((error: unknown) => {
      if (!(error instanceof StateWriteError)) throw error;
      this.deps.services.health.report(error, { what: 'clear the operation journal', router: this.name });
    });
  }

  private fail(error: unknown): void {
    this.deps.logger.fatal({ err: error }, 'router supervisor failed');
    this.emit('fatal', error instanceof Error ? error : new Error(String(error)));
  }

  private onSample(sample: WatchSample): void {
    const previous = this.#last;
    this.#last = sample.deviceMode;
    const at = this.deps.services.now();
    this.#orders.read(sample.deviceMode, at);
    if (!this.#active) this.recordVerified(this.deps.verified.observe(this.name, sample.deviceMode, at));
    this.#state.sample(sample);
    if (sample.deviceMode.flagged && !previous?.flagged) {
      this.alarmInBackground({ code: 'router-flagged', type: 'security', severity: 'critical', message: 'RouterOS flagged this router: signs of tampering at boot' });
    }
    if (sample.deviceMode.attemptCount >= ATTEMPT_LIMIT && (previous?.attemptCount ?? 0) < ATTEMPT_LIMIT) {
      this.alarmInBackground({ code: 'attempts-exhausted', message: `attempt-count ${sample.deviceMode.attemptCount}: further updates are refused until a power cycle` });
    }
  }

  /** The operation's read-back matched what it expected: that device-mode is verified now. */
  private operationVerified(record: OperationRecord): void {
    const last = this.#last;
    // Every operation expects attempt-count 0 after its reboot (journal: loosely typed, see recovery.ts).
    const expected = record.expected;
    const state = expected && last ? { ...last, ...expected, attemptCount: 0 } : undefined;
    this.recordVerified(this.deps.verified.operationVerified(this.name, state, this.deps.services.now()));
  }

  /** A baseline write in the background: a full or read-only state directory is reported, anything else is a bug. */
  private recordVerified(write: Promise<void>): void {
    write.catch((error: unknown) => {
      if (!(error instanceof StateWriteError)) return this.fail(error);
      this.deps.services.health.report(error, { what: 'record the verified device-mode', router: this.name });
    });
  }

  /** From an event handler: a failure to record the alarm (e.g. the audit log closing at stop) is logged, never an unhandled rejection. */
  private alarmInBackground(alarm: AlarmInput): void {
    this.alarm(alarm).catch((error: unknown) => this.deps.logger.error({ err: error, code: alarm.code }, 'alarm could not be recorded'));
  }

  /** The read-back after our action is the watcher's new baseline (#15: a change requested right after a reboot). */
  private rebase(state: DeviceModeState): void {
    this.#last = state;
    this.#watcher.rebase(state);
    this.#rebased = true;
  }

  private onAttemptRise(from: number, to: number, sample: WatchSample): void {
    // A rise over the verified read-back is someone else's, even while our operation ends.
    if (this.#active && this.#rebased) this.#deferredRise = { from, to, sample };
    // Our own request raises attempt-count too; flows check that rise themselves.
    if (this.#active || this.#quarantine || this.#stopping.signal.aborted) return;
    const before = this.#last ?? sample.deviceMode;
    this.run(() =>
      runObservedPending(this.context, { attemptCount: to, previousAttemptCount: from, before }, (waiter) => {
        this.#waiter = waiter;
      }),
    );
  }

  /**
   * Some RouterOS versions stop answering other sessions while a change is pending, so
   * attempt-count cannot be seen to rise. A stall alone is also what a merely slow router
   * does: it counts as someone else's change (one more attempt than last seen) only with a
   * second signal, the stall lasting stallConfirmMs, and never on a version known to keep
   * answering while a change is pending (router-behaviour.ts).
   */
  private onStall(): void {
    if (stallsOthersWhilePending(this.#version) === false) {
      this.deps.logger.warn({ version: this.#version }, 'poll stalled; this version answers while a change is pending: a slow router');
      return;
    }
    clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => this.stallConfirmed(), stallConfirmMs(this.#watcher.stallAfterMs));
    this.#stallTimer.unref();
  }

  private stallConfirmed(): void {
    const last = this.#last;
    if (this.#active || this.#quarantine || this.#stopping.signal.aborted || !last) return;
    this.run(() =>
      runObservedPending(this.context, { attemptCount: last.attemptCount + 1, previousAttemptCount: last.attemptCount, before: last, stalled: true }, (waiter) => {
        this.#waiter = waiter;
      }),
    );
  }

  private async checkPairing(): Promise<void> {
    let seen;
    try {
      seen = await this.client.readIdentity({ timeoutMs: 5000 });
    } catch {
      return; // not reachable yet: checked again when it comes back
    }
    this.#version = seen.version;
    const verdict = judgePairing(seen, this.config.identity, this.deps.pairing.get(this.name), this.deps.services.now());
    if (!verdict.ok) {
      if (this.#quarantine !== verdict.detail) {
        this.#quarantine = verdict.detail;
        await this.alarm({ code: 'router-identity-changed', type: 'security', severity: 'critical', message: `${verdict.detail}; operations refused until re-paired` });
      }
      return;
    }
    this.#quarantine = undefined;
    if (verdict.firstContact) {
      try {
        await this.deps.pairing.record(this.name, verdict.record);
        await this.deps.services.audit.append('paired', { router: this.name, ...verdict.record });
      } catch (error) {
        if (!(error instanceof StateWriteError)) throw error;
        // Unrecorded, the unit is not paired: orders stay refused; tried again when it is next seen.
        this.deps.services.health.report(error, { what: 'record the pairing', router: this.name });
        return;
      }
    }
    // The trust gate finds routers by these fields: fill them from what was paired.
    this.deps.identity.serial = verdict.record.serial;
    this.deps.identity.systemId = verdict.record.systemId;
  }

  async alarm(alarm: AlarmInput): Promise<void> {
    const entry = { router: this.name, ...alarm, severity: alarm.severity ?? 'warning', type: alarm.type ?? 'alarm' };
    this.deps.logger.warn(entry, `alarm ${alarm.code}`);
    // An alarm is published even when it cannot be recorded.
    await this.deps.services.audit.append('alarm', entry).catch((error: unknown) => {
      if (!(error instanceof StateWriteError)) throw error;
      this.deps.services.health.report(error, { what: `append alarm ${alarm.code} to the audit log`, router: this.name, operationId: alarm.operationId, requestId: alarm.requestId });
    });
    this.deps.publisher.event({
      type: entry.type,
      severity: entry.severity,
      code: alarm.code,
      message: alarm.message,
      router: this.name,
      ...(alarm.operationId ? { operationId: alarm.operationId } : {}),
      ...(alarm.requestId ? { requestId: alarm.requestId } : {}),
      ...(alarm.data ? { data: alarm.data } : {}),
    });
  }
}
