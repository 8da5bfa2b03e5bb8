/**
 * The demo: an embedded broker, a simulated site (router, actuators, operator keys) and the
 * real agent, then a signed change confirmed by a power cycle (signed-change.ts) and a forged
 * request refused with no actuation (forged-request.ts). Everything it says goes through `say`;
 * whether it passed comes back as checks, so the CLI only prints and sets the exit code.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { Agent } from '../agent/agent.js';
import { verifyAuditFile } from '../audit/verify.js';
import { EmbeddedBroker, EMBEDDED_BROKER_PROTOCOL } from '../mqtt/embedded-broker.js';
import { agentTopics, inboundCorrelation, parsePayload, responseSchema } from '../mqtt/contract.js';
import type { MqttLink } from '../mqtt/connection.js';
import type { AgentTopics } from '../mqtt/topics.js';
import { brokerSettings, connectOperator } from '../operator/broker.js';
import { foldAnswer, isOver, startFollowing, type Following } from '../operator/progress.js';
import { DemoObserver } from './demo-observer.js';
import { forgedRequest } from './forged-request.js';
import { describeStep, heading, narrate, summaryLines, type DemoCheck, type Speaker } from './narration.js';
import { signedChange } from './signed-change.js';
import { SimulatedSite } from './site.js';
import { introduceSite } from './site-tour.js';
import type { DemoStage } from './stage.js';

export interface DemoOptions {
  say: (line: string) => void;
  /** The agent's own logger (the CLI keeps it at warn unless --verbose). */
  logger: Logger;
  /** How long the signed change may take before the demo gives up. */
  flowTimeoutMs?: number;
}

export interface DemoResult {
  ok: boolean;
  checks: DemoCheck[];
  elapsedMs: number;
  failure?: string;
}

const AGENT_READY_MS = 15_000;

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const run = new DemoRun(options);
  let failure: string | undefined;
  try {
    await run.setUp();
    // A forged request is only telling against an idle router: no actuation to mistake for its own.
    if (await signedChange(run, options.flowTimeoutMs ?? 30_000)) await forgedRequest(run);
    else options.say('(the forged request is skipped: the first operation did not finish)');
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  await run.tearDown(failure === undefined && run.passed);
  const elapsedMs = run.elapsed();
  options.say(heading('Summary'));
  for (const line of summaryLines(run.checks, elapsedMs, failure)) options.say(line);
  const ok = failure === undefined && run.passed;
  return { ok, checks: run.checks, elapsedMs, ...(failure !== undefined ? { failure } : {}) };
}

/** The demo's parts and their lifecycle: started in order by setUp, stopped in reverse by tearDown. */
class DemoRun implements DemoStage {
  readonly checks: DemoCheck[] = [];
  readonly #startedAt = Date.now();
  #broker: EmbeddedBroker | undefined;
  #site: SimulatedSite | undefined;
  #observer: DemoObserver | undefined;
  #agent: Agent | undefined;
  #link: MqttLink | undefined;

  constructor(private readonly options: DemoOptions) {}

  elapsed(): number {
    return Date.now() - this.#startedAt;
  }

  get passed(): boolean {
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }

  section(title: string): void {
    this.options.say(heading(title));
  }

  say(who: Speaker, text: string): void {
    this.options.say(narrate(this.elapsed(), who, text));
  }

  check(name: string, ok: boolean, detail: string): void {
    const c = { name, ok, detail };
    this.checks.push(c);
    this.say('check', `${ok ? 'ok' : 'FAIL'}: ${name}: ${detail}`);
  }

  get site(): SimulatedSite {
    if (!this.#site) throw new Error('site not started');
    return this.#site;
  }

  get observer(): DemoObserver {
    if (!this.#observer) throw new Error('site not started');
    return this.#observer;
  }

  get topics(): AgentTopics {
    return agentTopics(this.site.config.mqtt.baseTopic, this.site.siteName, this.site.agentId);
  }

  async setUp(): Promise<void> {
    this.section('Setting up a site: no hardware, no external broker');
    const broker = new EmbeddedBroker();
    this.#broker = broker;
    await broker.start();
    this.say('broker', `embedded MQTT broker (aedes, MQTT 3.1.1) listening on ${broker.url}`);

    const site = new SimulatedSite({ brokerUrl: broker.url, protocolVersion: EMBEDDED_BROKER_PROTOCOL });
    this.#site = site;
    await site.start();
    const observer = new DemoObserver(this.topics, (who, text) => this.say(who, text));
    this.#observer = observer;
    introduceSite(site, (who, text) => this.say(who, text));
    observer.listenToRouter(site.router);

    this.#link = await connectOperator(
      brokerSettings({ broker: broker.url, protocol: String(EMBEDDED_BROKER_PROTOCOL) }, 'demo'),
      {
        subscriptions: [`${this.topics.root}/#`],
        onMessage: (m) => observer.onMessage(m),
        timeoutMs: 10_000,
      },
    );

    const agent = await Agent.create(site.config, { logger: this.options.logger });
    this.#agent = agent;
    agent.on('fatal', (error) => {
      this.say('agent', `FATAL: ${error.message}`);
      observer.agentFailed(error);
    });
    await agent.start();
    this.say(
      'agent',
      `agent ${site.agentId} at site ${site.siteName} started from ${site.configFile} (secrets in files beside it)`,
    );
    const state = await observer.waitForState(
      (r) => r.reachable && r.deviceMode !== null,
      'the agent to reach the router',
      AGENT_READY_MS,
    );
    this.say(
      'agent',
      `paired with router ${state.router} (serial ${site.router.serialNumber}); it reports ` +
        `device-mode ${state.deviceMode?.mode}, attempt-count ${state.attemptCount}`,
    );
  }

  async follow(jws: string, timeoutMs: number): Promise<Following> {
    const { requestId, digest } = inboundCorrelation(jws);
    if (!requestId) throw new Error('the demo built an order without a request id');
    const link = this.#link;
    if (!link) throw new Error('not connected to the broker');
    const topic = this.topics.progress(requestId);
    let following = startFollowing(requestId, digest, Date.now());
    const seen = new Set<string>();
    const over = this.observer.waitFor(
      (m) => {
        if (m.topic !== topic || seen.has(m.payload)) return false;
        seen.add(m.payload);
        const folded = foldAnswer(following, parsePayload(responseSchema, topic, m.payload), Date.now());
        following = folded.following;
        if (folded.step) this.say('agent', describeStep(folded.step, following.sentAt));
        else this.say('operator', `ignored an answer that is not to our message: ${folded.why}`);
        return isOver(following);
      },
      `the agent's final answer to ${requestId}`,
      timeoutMs,
    );
    await link.publish(this.topics.request, jws, { qos: 1 });
    await over.catch(() => undefined); // a timeout shows up as outcome() === EXIT.timeout
    return following;
  }

  /** Stops everything in reverse order, checks the audit trail, and removes the site when all went well. */
  async tearDown(passed: boolean): Promise<void> {
    this.section('Shutting down');
    const agent = this.#agent;
    this.#agent = undefined;
    if (agent) {
      await agent.stop();
      this.say('agent', 'stopped (retained status now offline)');
      await this.auditCheck().catch((error: unknown) =>
        this.check('audit log', false, error instanceof Error ? error.message : String(error)),
      );
    }
    await this.#link?.stop({ timeoutMs: 2000 }).catch(() => undefined);
    await this.#broker?.stop().catch(() => undefined);
    await this.#site?.stop().catch(() => undefined);
    this.say('broker', 'embedded broker and simulated router stopped');
    const dir = this.#site?.dir;
    if (!dir) return;
    if (passed && this.passed) await rm(dir, { recursive: true, force: true });
    else this.say('check', `site kept for inspection: ${dir} (agent.yaml, state/audit.jsonl)`);
  }

  private async auditCheck(): Promise<void> {
    const report = await verifyAuditFile(join(this.site.config.agent.stateDir, 'audit.jsonl'));
    this.check(
      'audit log',
      report.ok,
      report.ok
        ? `${report.entries} entries, hash chain intact`
        : report.problems.map((p) => `line ${p.line}: ${p.message}`).join('; '),
    );
  }
}
