/** End-to-end harness: real mosquitto, the RouterOS simulator, the real agent, signed orders over MQTT. */
import { rmSync } from 'node:fs';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import { silentLogger, createLogger, type Logger } from '../../src/log/logger.js';
import { agentTopics, messageDigest, type AgentResponse, type ChallengeMessage } from '../../src/mqtt/contract.js';
import { buildChange, type ChangeOptions } from '../../src/trust/drafts.js';
import { requestUpdate, type UpdateRequest } from '../../src/routeros/update-request.js';
import { SimulatedSite, type SiteOptions } from '../../src/demo/site.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { Observer } from '../helpers/mqtt-clients.js';

export function testLogger(): Logger {
  return process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG, pretty: false }) : silentLogger();
}

export class E2E {
  broker = new Mosquitto({ persistence: true });
  site!: SimulatedSite;
  agent: Agent | undefined;
  observer!: Observer;
  /** Power-off edges the simulated router saw (each one is an actuation by power). */
  powerCuts = 0;
  /** Button presses the simulated router saw. */
  presses = 0;
  /** Extra options for the in-process agent (e.g. an actuator clock), set before start(). */
  agentOptions: Partial<AgentOptions> = {};
  /** Where the observer (the operators' side) connects, when not to the agent's broker (a bridged site). */
  observerBrokerUrl: string | undefined;
  readonly #others: AbortController[] = [];

  async start(site: Omit<SiteOptions, 'brokerUrl' | 'protocolVersion'> = {}): Promise<void> {
    if (this.broker.pid === undefined) await this.broker.start();
    this.site = new SimulatedSite({ brokerUrl: this.broker.url, protocolVersion: 5, ...site });
    await this.site.start();
    this.site.router.on('power', (e: { on: boolean }) => {
      if (!e.on) this.powerCuts++;
    });
    this.site.router.on('button', (e: { down: boolean }) => {
      if (e.down) this.presses++;
    });
    // A persistent session, like an operator's tool: answers sent while the broker restarts still arrive.
    this.observer = await Observer.connect(this.observerBrokerUrl ?? this.broker.url, [`${this.topics.root}/#`], {
      clientId: `e2e-observer-${process.pid}-${Math.random().toString(36).slice(2)}`,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    await this.startAgent();
  }

  get topics() {
    return agentTopics('dmconfirm/v1', 'lab', 'pi-demo');
  }

  get router() {
    return { serial: this.site.router.serialNumber };
  }

  async startAgent(): Promise<Agent> {
    const agent = await Agent.create(this.site.config, {
      logger: testLogger(),
      checkpointIntervalMs: 60_000,
      ...this.agentOptions,
    });
    this.agent = agent;
    await agent.start();
    // Paired: the trust gate can now find the router by its serial.
    await this.observer.waitFor(
      (m) => m.topic === this.topics.routerState('hap1') && m.payload.includes('"reachable":true'),
      'router state',
      20_000,
    );
    return agent;
  }

  async stopAgent(): Promise<void> {
    await this.agent?.stop();
    this.agent = undefined;
  }

  async publish(kind: 'request' | 'approval' | 'powercycle', jws: string): Promise<string> {
    await this.observer.client.publishAsync(this.topics[kind], jws, { qos: 1 });
    return messageDigest(jws);
  }

  /** A signed request to enable container by a power cycle, published; its request id. */
  async publishContainerChange(): Promise<string> {
    const jws = await this.site.team.changeRequest({
      agent: 'pi-demo',
      router: this.router,
      change: { enable: ['container'] },
      method: 'power',
      activationTimeoutSeconds: 120,
    });
    await this.publish('request', jws);
    return this.requestIdOf(jws);
  }

  requestIdOf(jws: string): string {
    const envelope = JSON.parse(jws) as { payload: string };
    return (JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { requestId: string }).requestId;
  }

  answers(requestId: string): AgentResponse[] {
    return this.observer.seen
      .filter((m) => m.topic === this.topics.progress(requestId))
      .map((m) => JSON.parse(m.payload) as AgentResponse);
  }

  async finalAnswer(requestId: string, timeoutMs = 60_000): Promise<AgentResponse> {
    const seen = await this.observer.waitFor(
      (m) => m.topic === this.topics.progress(requestId) && (JSON.parse(m.payload) as AgentResponse).data.final,
      `final answer to ${requestId}`,
      timeoutMs,
    );
    return JSON.parse(seen.payload) as AgentResponse;
  }

  /**
   * Someone else (WinBox, a script) requests a device-mode change on its own API session:
   * what the agent observes as an attempt-count rise with no request of its own.
   */
  otherClientUpdate(change: ChangeOptions, activationTimeoutSeconds = 120): UpdateRequest {
    const abort = new AbortController();
    this.#others.push(abort);
    const update = requestUpdate(this.site.config.routers[0]!, buildChange(change), activationTimeoutSeconds, {
      signal: abort.signal,
      comeBackTimeoutMs: 30_000,
    });
    void update.outcome.catch(() => undefined);
    return update;
  }

  /** The next retained challenge for hap1 published after `after` messages were seen. */
  async challenge(after = 0, timeoutMs = 20_000): Promise<ChallengeMessage> {
    const topic = this.topics.challenge('hap1');
    const seen = await this.observer.waitFor(
      (m) => m.topic === topic && m.payload !== '' && this.observer.seen.indexOf(m) >= after,
      'challenge',
      timeoutMs,
    );
    return JSON.parse(seen.payload) as ChallengeMessage;
  }

  events(code?: string): Array<{ code: string; type: string; message: string }> {
    return this.observer.seen
      .filter((m) => m.topic === this.topics.events)
      .map((m) => JSON.parse(m.payload) as { code: string; type: string; message: string })
      .filter((e) => code === undefined || e.code === code);
  }

  async stop(): Promise<void> {
    for (const abort of this.#others) abort.abort();
    await this.stopAgent().catch(() => undefined);
    await this.observer?.close().catch(() => undefined);
    await this.site?.stop().catch(() => undefined);
    await this.broker.dispose().catch(() => undefined);
    // Keep the site (config, state, audit log) for inspection when E2E_KEEP is set.
    if (this.site?.dir && !process.env.E2E_KEEP) rmSync(this.site.dir, { recursive: true, force: true });
  }
}

/** A daemon child process: its output collected, its exit awaited, signals sent. */
export class DaemonChild {
  child: import('node:child_process').ChildProcess | undefined;
  output = '';

  protected attach(child: import('node:child_process').ChildProcess): void {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child = child;
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child) return Promise.resolve({ code: null, signal: null });
    if (child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }
}

/** The real daemon as a child process (`dmconfirm agent --config F`), for signal and crash tests. */
export class AgentProcess extends DaemonChild {
  /** `nodeArgs` go before the entry point (e.g. `--import` of a test-only preload). */
  constructor(
    readonly configFile: string,
    readonly nodeArgs: string[] = [],
  ) {
    super();
  }

  async start(): Promise<void> {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', ...this.nodeArgs, 'src/cli/main.ts', 'agent', '--config', this.configFile],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: '' },
      },
    );
    this.attach(child);
  }
}
