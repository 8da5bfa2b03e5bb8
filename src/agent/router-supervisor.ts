import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { CreateActuatorDeps } from '../actuators/index.js';
import type { RouterConfig } from '../config/router-schema.js';
import type { Policy } from '../config/policy-schema.js';
import type { Logger } from '../log/logger.js';
import type { PairingStore } from '../pairing/paired-unit.js';
import { RouterClient } from '../routeros/client.js';
import { DeviceModeWatcher } from '../routeros/watcher.js';
import { StateWriteError } from '../store/state-error.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { Approval, ChangeRequest, PowerCycle } from '../trust/messages.js';
import type { RouterTrust } from '../trust/trust-gate.js';
import type { Accepted } from '../trust/verify.js';
import { ApprovalDesk } from './approval-desk.js';
import { ChangeWatch } from './change-watch.js';
import { beforeChange, beforePowerCycle } from './flows/before-start.js';
import { runChangeRequest } from './flows/change-flow.js';
import { runObservedPending, type ObservedPending } from './flows/observed-flow.js';
import { runPowerCycle } from './flows/powercycle-flow.js';
import type { OperationRecord } from './journal.js';
import type { OperationServices } from './operation.js';
import { OperationSlot } from './operation-slot.js';
import { OrderChallengeDesk } from './order-challenge.js';
import { startOrder, type OrderStartDeps, type StartVerdict } from './order-start.js';
import { OwnUpdates } from './own-update.js';
import { routerPort } from './ports.js';
import type { Publisher } from './publisher.js';
import { recoverOperation } from './recovery.js';
import { RouterActuators } from './router-actuators.js';
import { RouterAlarm } from './router-alarm.js';
import { RouterBehaviours } from './router-behaviour.js';
import type { AlarmInput, ObservedContext } from './router-context.js';
import { RouterPairing } from './router-pairing.js';
import { ProblemWatch } from './router-problem.js';
import { RouterStateReporter } from './router-state.js';
import type { VerifiedBaseline } from './verified-baseline.js';

export type { StartVerdict } from './order-start.js';

/** An order the trust gate verified at the door: a change request, a power cycle or an approval. */
export type VerifiedOrder = Accepted<ChangeRequest> | Accepted<PowerCycle> | Accepted<Approval>;

export interface SupervisorDeps {
  /** This router's challenges and pairing binding (TrustGate.forRouter): nothing else of trust. */
  trust: RouterTrust;
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
  /** What RouterOS versions are known to do (probe reports); default the shipped reports. */
  behaviours?: RouterBehaviours;
}

/**
 * One router: its lifecycle (actuators released first, connect, pair, recover, watch; stop
 * in reverse), at most one operation at a time (operation-slot.ts), and a mailbox: verified
 * orders from inbound (deliver), asks for an order challenge, and what the watcher reads
 * (change-watch.ts). Pairing checks live in router-pairing.ts, order start in order-start.ts.
 * A flow that throws is a bug: the supervisor reports it as `fatal`, and the launcher exits
 * so systemd restarts us into crash recovery (crash-only beats half-alive).
 */
export class RouterSupervisor extends EventEmitter<{ fatal: [Error] }> {
  readonly client: RouterClient;
  readonly #watcher: DeviceModeWatcher;
  readonly #actuators: RouterActuators;
  readonly #alarm: RouterAlarm;
  readonly #stopping = new AbortController();
  readonly #state: RouterStateReporter;
  readonly #slot: OperationSlot;
  readonly #approvals: ApprovalDesk;
  readonly #clock: Clock;
  readonly #pairing: RouterPairing;
  readonly #changes: ChangeWatch;
  readonly #problems: ProblemWatch;
  readonly #orders: OrderChallengeDesk;
  /** Our own update: its rise is ours, and a failed operation's update is closed or challenged. */
  readonly #own: OwnUpdates;
  readonly #behaviours: RouterBehaviours;
  readonly #start: OrderStartDeps;

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
    this.#actuators = new RouterActuators(config, logger, deps.actuatorDeps);
    this.#alarm = new RouterAlarm(config.name, deps);
    const store = deps.stateDir ? { file: join(deps.stateDir, 'results', `${config.name}.json`), logger } : undefined;
    const unit = () => deps.pairing.get(config.name) ?? config.identity;
    this.#state = new RouterStateReporter(config.name, deps.publisher, store, () => deps.services.now(), unit);
    this.#slot = new OperationSlot({
      unrecorded: (error) => deps.services.health.report(error, { what: 'start an operation', router: this.name }),
      fail: (error) => this.fail(error),
      ended: () => this.#changes.operationEnded(),
    });
    this.#problems = new ProblemWatch({
      show: (problem) => this.#state.problem(problem, deps.services.now()),
      alarm: (alarm) => this.#alarm.inBackground(alarm),
      busy: () => this.#slot.busy,
      outageAlarmMs: deps.outageAlarmMs,
    });
    this.#orders = new OrderChallengeDesk(config.name, deps);
    this.#clock = systemClock(deps.services.now);
    this.#approvals = new ApprovalDesk(config.name, deps.trust, this.#clock);
    this.#own = new OwnUpdates(logger);
    this.#behaviours = deps.behaviours ?? new RouterBehaviours();
    this.#pairing = new RouterPairing(config, { ...deps, alarm: (alarm) => this.#alarm.raise(alarm) });
    this.#changes = new ChangeWatch({
      ...{
        name: config.name,
        watcher: this.#watcher,
        own: this.#own,
        behaviours: this.#behaviours,
        orders: this.#orders,
      },
      ...{ state: this.#state, verified: deps.verified, logger, now: deps.services.now },
      recordVerified: (write) => this.recordVerified(write),
      alarm: (alarm) => this.#alarm.inBackground(alarm),
      version: () => this.#pairing.version,
      busy: () => this.#slot.busy,
      halted: () => this.#pairing.quarantine !== undefined || this.#stopping.signal.aborted,
      observed: (observed) => this.runObserved(observed),
    });
    this.#start = {
      router: config.name,
      slot: this.#slot,
      quarantine: () => this.#pairing.quarantine,
      own: this.#own,
      connectNow: () => this.client.connectNow(),
    };
  }

  get name(): string {
    return this.config.name;
  }

  get busy(): boolean {
    return this.#slot.busy;
  }

  get context(): ObservedContext {
    return {
      name: this.config.name,
      config: this.config,
      client: routerPort(this.config, this.client),
      actuators: this.#actuators.roles,
      approvals: this.#approvals,
      clock: this.#clock,
      policy: this.deps.policy,
      publisher: this.deps.publisher,
      services: {
        ...this.deps.services,
        onChange: (record) => {
          if (record.state === 'done') this.operationVerified(record);
          this.#state.operation(record);
        },
        track: (operation) => this.#slot.track(operation),
      },
      logger: this.deps.logger,
      lastState: () => this.#changes.last,
      alarm: (alarm) => this.#alarm.raise(alarm),
      verified: (state) => this.#changes.rebase(state),
      ownUpdate: (own) => this.#own.sent(own),
      draftChallenge: async () =>
        (await this.deps.trust.clockSynced()) ? undefined : this.deps.trust.orderChallenge(),
      signal: this.#stopping.signal,
    };
  }

  /**
   * Forces every output to its released level (button up, power on). The agent does this
   * before it touches its state directory: a restart after a crash mid-power-cut restores
   * the power even if the directory has since gone read-only and the agent cannot start.
   */
  releaseActuators(): Promise<void> {
    return this.#actuators.release();
  }

  /** Releases every output first, then connects, pairs, recovers and starts watching. */
  async start(journaled: OperationRecord | undefined): Promise<void> {
    await this.releaseActuators();
    await this.#state.load();
    this.#pairing.adoptRecorded();
    await this.client.start();
    await this.#pairing.check(this.client);
    this.client.on('connect-failed', (error) => {
      if (!this.#stopping.signal.aborted) this.#problems.failed(error);
    });
    this.client.on('connected', () => this.#problems.connected());
    this.#watcher.on('state', (sample) => this.#changes.sample(sample));
    this.#watcher.on('attempt-count-rose', ({ from, to, sample }) => this.#changes.rose(from, to, sample));
    this.#watcher.on('stalled', () => this.#changes.stalled());
    this.#watcher.on('stall-ended', () => this.#changes.stallEnded());
    this.#watcher.on('unreachable', () => {
      this.#orders.unreachable();
      this.#state.reachable(false);
    });
    this.#watcher.on('back', () => void this.#pairing.check(this.client).catch((error: unknown) => this.fail(error)));
    if (journaled) {
      this.#slot.run(async () => {
        const still = await recoverOperation({ ...this.context, trust: this.deps.trust }, journaled);
        if (still && !this.#pairing.quarantine && !this.#stopping.signal.aborted)
          await runObservedPending(this.context, still);
      });
    }
    await this.#watcher.start();
  }

  /** Stops waiting, lets a started pulse release, then releases and closes everything. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#changes.stop();
    await this.#approvals.close();
    await this.#watcher.stop();
    await this.#slot.settled();
    await this.#actuators.stop();
    await this.client.stop();
    await this.#state.flushed();
  }

  /** Publishes the router state again with a fresh time (the agent's heartbeat). */
  heartbeat(): void {
    this.#state.refresh();
  }

  /** Releases every output now, without waiting for the flow (the launcher's last resort at stop). */
  forceRelease(): Promise<void> {
    return this.#actuators.forceRelease();
  }

  /**
   * The mailbox for orders inbound verified at the door: an approval goes to the observed
   * flow waiting on the challenge it quotes (ApprovalDesk), a change request or a power
   * cycle starts its flow when it can (order-start.ts).
   */
  /** Raises an alarm about this router (events, audit). */
  alarm(alarm: AlarmInput): Promise<void> {
    return this.#alarm.raise(alarm);
  }

  deliver(order: VerifiedOrder, digest: string): Promise<StartVerdict> {
    const message = order.message;
    if (message.kind === 'approval') return this.#approvals.deliver({ ...order, message }, digest);
    if (message.kind === 'change-request') return this.startChange({ ...order, message }, digest);
    return this.startPowerCycle({ ...order, message }, digest);
  }

  /** Someone asked for a fresh challenge (unsigned): see OrderChallengeDesk. */
  offerOrderChallenge(clockSynced: boolean): Promise<void> {
    return this.#orders.offer(clockSynced);
  }

  /**
   * The state directory takes writes again: with no operation running, a journal record
   * left behind (its final write or clear failed) belongs to a finished operation.
   */
  async stateRecovered(): Promise<void> {
    if (this.#slot.busy) return;
    await this.deps.services.journal.clear(this.name).catch((error: unknown) => {
      if (!(error instanceof StateWriteError)) throw error;
      this.deps.services.health.report(error, { what: 'clear the operation journal', router: this.name });
    });
  }

  private startChange(accepted: Accepted<ChangeRequest>, digest: string): Promise<StartVerdict> {
    return startOrder(
      this.#start,
      accepted,
      () => beforeChange(this.context, accepted.message),
      async (before) => {
        await runChangeRequest(this.context, accepted, digest, before);
        await this.closeOwnUpdate();
      },
    );
  }

  /** After a change: our update, if it may still be pending, is cancelled where RouterOS allows it, else challenged. */
  private async closeOwnUpdate(): Promise<void> {
    const left = await this.#own.afterOperation(
      this.#slot.operation?.record,
      this.#behaviours.cancelsAbandonedUpdate(this.#pairing.version),
    );
    if (!left || this.#pairing.quarantine || this.#stopping.signal.aborted) return;
    await runObservedPending(this.context, left);
  }

  private startPowerCycle(accepted: Accepted<PowerCycle>, digest: string): Promise<StartVerdict> {
    const check = () => beforePowerCycle(this.context, accepted.message, this.deps.verified.get(this.name));
    return startOrder(this.#start, accepted, check, (plan) => runPowerCycle(this.context, accepted, digest, plan));
  }

  private runObserved(observed: ObservedPending): void {
    this.#slot.run(() => runObservedPending(this.context, observed));
  }

  private fail(error: unknown): void {
    this.deps.logger.fatal({ err: error }, 'router supervisor failed');
    this.emit('fatal', error instanceof Error ? error : new Error(String(error)));
  }

  /** The operation's read-back matched what it expected: that device-mode is verified now. */
  private operationVerified(record: OperationRecord): void {
    const last = this.#changes.last;
    // Every operation expects attempt-count 0 after its reboot.
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
}
