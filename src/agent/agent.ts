import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { AuditLog } from '../audit/audit-log.js';
import { AuditCheckpointer, agentKeyFromSecret } from '../audit/checkpointer.js';
import { MqttLink } from '../mqtt/connection.js';
import { CONTRACT_VERSION, agentTopics, encodePayload, type AgentStatus } from '../mqtt/contract.js';
import { createWallClock, type WallClock } from '../time/wall-clock.js';
import { TrustGate } from '../trust/trust-gate.js';
import type { RouterBinding } from '../trust/verify.js';
import type { CreateActuatorDeps } from '../actuators/index.js';
import { OperationJournal } from './journal.js';
import { InboundDispatcher } from './inbound.js';
import { PairingStore } from '../pairing/paired-unit.js';
import { VerifiedBaseline } from './verified-baseline.js';
import { Publisher } from './publisher.js';
import { RouterBehaviours } from './router-behaviour.js';
import type { ShippedReport } from '../probe/known-behaviours.js';
import { RouterSupervisor } from './router-supervisor.js';
import { StateHealth } from './state-health.js';
import { AgentRunningError, acquireRunLock } from './run-lock.js';
import { ScheduleBook } from './schedule/schedule-book.js';
import { Scheduler } from './schedule/scheduler.js';
import { PACKAGE_VERSION } from '../package-info.js';

export const AGENT_VERSION = PACKAGE_VERSION;

export interface AgentOptions {
  logger: Logger;
  clock?: WallClock;
  now?: () => Date;
  actuatorDeps?: Partial<CreateActuatorDeps>;
  checkpointIntervalMs?: number;
  /** A router away this long raises router-connection-problem (default 120 s; a bad password or certificate: at once).
   * */
  routerOutageAlarmMs?: number;
  /** How often the online status and router states are published again with a fresh time (default 60 s). */
  heartbeatMs?: number;
  /** Contents of the configured trust.json (Agent.create reads it). */
  trustRootText?: string | undefined;
  /** Probe reports of what RouterOS versions do (default: the shipped config/behaviours/). */
  behaviourReports?: readonly ShippedReport[];
  /** How often scheduled orders are checked against the wall clock (default 15 s), and retried (default 30 s). */
  schedule?: { checkMs?: number; retryMs?: number };
}

/**
 * The composition root: config in, running parts out. Constructing does nothing; start()
 * brings parts up in dependency order, stop() takes them down in reverse and keeps going
 * when one part fails. A router supervisor or the inbound handler that hits a bug emits
 * `fatal`; the launcher exits and systemd restarts us into crash recovery.
 */
export class Agent extends EventEmitter<{ fatal: [Error] }> {
  readonly audit: AuditLog;
  readonly journal: OperationJournal;
  readonly pairing: PairingStore;
  readonly verified: VerifiedBaseline;
  readonly gate: TrustGate;
  readonly link: MqttLink;
  readonly publisher: Publisher;
  readonly health: StateHealth;
  readonly supervisors = new Map<string, RouterSupervisor>();
  readonly schedule: Scheduler;
  #checkpointer: AuditCheckpointer | undefined;
  #auditOpen = false;
  #linkStarted = false;
  #stopRequested = false;
  /** Why start() failed: the stop publishes it in the retained status (reason start-failed). */
  #startFailure: string | undefined;
  #unlock: (() => Promise<void>) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #routersStarted: RouterSupervisor[] = [];
  /** Whether the clock could be believed at start (published in the online status). */
  #clockSynced: boolean | undefined;
  readonly #now: () => Date;
  readonly #identities: RouterBinding[];

  constructor(
    readonly config: Config,
    private readonly options: AgentOptions,
  ) {
    super();
    const { agent, mqtt } = config;
    const log = options.logger;
    this.#now = options.now ?? (() => new Date());
    const clock = options.clock ?? createWallClock(agent.clock);
    this.audit = new AuditLog(join(agent.stateDir, 'audit.jsonl'), this.#now);
    this.journal = new OperationJournal(agent.stateDir);
    this.pairing = new PairingStore(agent.stateDir);
    this.verified = new VerifiedBaseline(agent.stateDir);
    this.#identities = config.routers.map((r) => ({
      name: r.name,
      serial: r.identity.serial,
      systemId: r.identity.systemId,
      methods: r.methods,
    }));
    this.gate = new TrustGate({
      stateDir: agent.stateDir,
      initialTrustRoot: options.trustRootText,
      agentId: agent.id,
      clock,
      policy: config.policy,
      routers: this.#identities,
    });
    const topics = agentTopics(mqtt.baseTopic, agent.site, agent.id);
    const status = (state: 'online' | 'offline', reason: AgentStatus['reason']): string => {
      const detail = reason === 'start-failed' ? this.#startFailure : undefined;
      const at = this.#now().toISOString();
      const message: AgentStatus = {
        ...{ v: CONTRACT_VERSION, state, agent: agent.id, site: agent.site, version: AGENT_VERSION, at, reason },
        ...(this.#clockSynced === undefined ? {} : { clockSynced: this.#clockSynced }),
      };
      return encodePayload(detail ? { ...message, detail } : message);
    };
    this.link = new MqttLink(
      { ...mqtt, clientId: mqtt.clientId ?? `dmconfirm-${agent.site}-${agent.id}`, persistent: true },
      {
        presence: {
          topic: topics.status,
          online: () => status('online', 'started'),
          offline: (reason) => status('offline', reason),
        },
        subscriptions: [...topics.inbound],
        logger: log.child({ component: 'mqtt' }),
      },
    );
    // Crash-only inbound: a bug on the inbound path ends the process (the launcher stops and
    // exits; systemd restarts into recovery) and the unacknowledged message comes again.
    this.link.on('handler-failed', (error) => this.emit('fatal', error));
    this.publisher = new Publisher(this.link, topics, log.child({ component: 'publisher' }), this.#now);
    // A broker restarted without persistence forgot every retained topic: give them all back.
    this.link.on('connected', () => this.publisher.republish());
    this.health = new StateHealth({
      stateDir: agent.stateDir,
      publisher: this.publisher,
      audit: this.audit,
      logger: log.child({ component: 'state' }),
      now: this.#now,
    });
    // Writable again: journal records left by operations that finished meanwhile are cleared.
    this.health.on('recovered', () => {
      for (const supervisor of this.supervisors.values())
        void supervisor.stateRecovered().catch((error: unknown) => log.error({ err: error }, 'journal cleanup failed'));
    });
    const services = {
      journal: this.journal,
      audit: this.audit,
      publisher: this.publisher,
      logger: log,
      now: this.#now,
      health: this.health,
    };
    const behaviours = new RouterBehaviours(options.behaviourReports);
    for (const router of config.routers) {
      const supervisor = new RouterSupervisor(router, {
        trust: this.gate.forRouter(router.name),
        policy: config.policy,
        publisher: this.publisher,
        pairing: this.pairing,
        verified: this.verified,
        services: { ...services, logger: log.child({ router: router.name }) },
        logger: log.child({ router: router.name }),
        stateDir: agent.stateDir,
        behaviours,
        ...(options.routerOutageAlarmMs === undefined ? {} : { outageAlarmMs: options.routerOutageAlarmMs }),
        ...(options.actuatorDeps ? { actuatorDeps: options.actuatorDeps } : {}),
      });
      supervisor.on('fatal', (error) => this.emit('fatal', error));
      this.supervisors.set(router.name, supervisor);
    }
    const book = new ScheduleBook(agent.stateDir);
    this.schedule = new Scheduler({
      book,
      gate: this.gate,
      routers: this.supervisors,
      publisher: this.publisher,
      audit: this.audit,
      clock,
      logger: log.child({ component: 'schedule' }),
      ...options.schedule,
    });
    this.schedule.on('fatal', (error) => this.emit('fatal', error));
  }

  async start(): Promise<void> {
    const { agent } = this.config;
    const log = this.options.logger;
    // Outputs released before anything that needs the state directory (see releaseActuators).
    for (const supervisor of this.supervisors.values()) {
      this.#routersStarted.push(supervisor);
      await supervisor.releaseActuators();
    }
    if (this.#stopRequested) return;
    // One agent per state directory; `pair --accept` checks it too. Advisory: a directory we
    // cannot write fails just below, at the audit log, with its own error.
    this.#unlock = await acquireRunLock(agent.stateDir).catch((error: unknown) => {
      if (error instanceof AgentRunningError) throw error;
      log.warn({ err: error }, 'run lock not taken');
      return undefined;
    });
    const recovery = await this.audit.open();
    this.#auditOpen = true;
    await this.audit.append('agent-start', { agent: agent.id, site: agent.site, version: AGENT_VERSION });
    if (recovery?.kind === 'damaged') log.error({ recovery }, 'audit log was damaged; a new chain started');
    const notes = await this.gate.start(); // refuses to start without a valid trust root
    for (const note of notes) log.info(note);
    await this.pairing.load();
    await this.verified.load();
    const journaled = await this.journal.load();
    const dispatcher = new InboundDispatcher({
      baseTopic: this.config.mqtt.baseTopic,
      gate: this.gate,
      supervisors: this.supervisors,
      publisher: this.publisher,
      audit: this.audit,
      logger: log.child({ component: 'inbound' }),
      health: this.health,
      schedule: this.schedule,
    });
    // Routers first: actuators are forced released before any message can arrive.
    for (const supervisor of this.supervisors.values()) {
      if (this.#stopRequested) return;
      await supervisor.start(journaled.get(supervisor.name));
    }
    if (this.#stopRequested) return;
    await this.schedule.start(); // orders kept across the restart wait again (and are published)
    this.link.onMessage((message) => dispatcher.handle(message));
    // in the online status: operators' tools then bind orders to a challenge
    this.#clockSynced = await this.gate.clockSynced();
    this.#linkStarted = true;
    await this.link.start({ wait: false });
    if (recovery?.kind === 'damaged') {
      // Queued until connected (QoS 1): someone or something damaged the log; the old file is kept aside.
      this.publisher.event({
        type: 'security',
        severity: 'critical',
        code: 'audit-damaged',
        message: `audit log damaged (${recovery.reason}); kept as ${recovery.file}`,
      });
    }
    if (agent.key) {
      const key = agentKeyFromSecret(agent.key, agent.id);
      const checkpointer = new AuditCheckpointer(this.audit, {
        agent: agent.id,
        key,
        publish: (signed) => this.publisher.checkpoint(signed.jws),
        ...(this.options.checkpointIntervalMs ? { intervalMs: this.options.checkpointIntervalMs } : {}),
        now: this.#now,
        logger: log.child({ component: 'audit' }),
      });
      this.#checkpointer = checkpointer;
      await checkpointer
        .start()
        .catch((error: unknown) => log.warn({ err: error }, 'first checkpoint not published yet'));
    }
    this.#heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs ?? 60_000);
    this.#heartbeat.unref();
    log.info({ routers: [...this.supervisors.keys()] }, 'agent started');
  }

  /**
   * The heartbeat: the online status and every router state again, with the time of now, so
   * a reader can tell when the agent was last seen after its last will replaced the status.
   */
  private beat(): void {
    if (!this.link.connected) return;
    void this.link.publishPresence('online');
    for (const supervisor of this.supervisors.values()) supervisor.heartbeat();
  }

  /** Every output to its released level now, whatever else is still running (the launcher's last resort). */
  async forceRelease(): Promise<void> {
    await Promise.all([...this.supervisors.values()].map((s) => s.forceRelease()));
  }

  /**
   * Routers first (operations end, actuators release, while MQTT can still report it),
   * then `agent-stop` and the final signed checkpoint that covers it, the retained offline
   * status, and the audit log. Every part gets its turn even if one fails; none waits on an
   * unreachable broker.
   */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    clearInterval(this.#heartbeat);
    const routers = this.#routersStarted.reverse();
    const checkpointer = this.#checkpointer;
    const linkStarted = this.#linkStarted;
    const auditOpen = this.#auditOpen;
    this.#routersStarted = [];
    this.#checkpointer = undefined;
    this.#linkStarted = false;
    this.#auditOpen = false;
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['schedule', () => this.schedule.stop()],
      ...routers.map((r): [string, () => Promise<unknown>] => [`router ${r.name}`, () => r.stop()]),
      ['state probe', () => Promise.resolve(this.health.stop())],
      ['agent-stop', () => (auditOpen ? this.audit.append('agent-stop', {}) : Promise.resolve())],
      ['checkpointer', () => checkpointer?.stop() ?? Promise.resolve()],
      ['mqtt', () => this.stopLink(linkStarted)],
      ['audit log', () => (auditOpen ? this.audit.close() : Promise.resolve())],
      ['run lock', () => this.#unlock?.() ?? Promise.resolve()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        this.options.logger.error({ err: error, part: name }, 'stop failed; continuing');
      }
    }
  }

  /** Records why start() failed; stop() then says so in the retained status before the process exits. */
  startFailed(error: unknown): void {
    this.#startFailure = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  }

  /**
   * Offline, retained. After a failed start the reason goes with it, on a link started for
   * that alone (no online status) when start() failed before it connected: the fleet view
   * then shows why, not just "offline". Bounded: a stop never waits long on a broker.
   */
  private async stopLink(linkStarted: boolean): Promise<void> {
    if (this.#startFailure === undefined) return linkStarted ? this.link.stop() : undefined;
    if (!linkStarted) await this.link.start({ wait: true, timeoutMs: 5000, online: false }).catch(() => undefined);
    await this.link.stop({ reason: 'start-failed' });
  }

  /** Reads the configured trust.json (absent is fine once a root is stored) and builds the agent. */
  static async create(config: Config, options: AgentOptions): Promise<Agent> {
    let trustRootText: string | undefined;
    try {
      trustRootText = await readFile(config.agent.trustRoot, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new Agent(config, { ...options, trustRootText });
  }
}
