/**
 * The demo scenario: an embedded broker, a simulated site (router, actuators, operator
 * keys) and the real agent, then a signed change confirmed by a power cycle and a forged
 * request refused with no actuation. Everything it says goes through `say`; whether it
 * passed comes back as checks, so the CLI only prints and sets the exit code.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { Agent } from '../agent/agent.js';
import { verifyAuditFile } from '../audit/verify.js';
import { EmbeddedBroker, EMBEDDED_BROKER_PROTOCOL } from '../mqtt/embedded-broker.js';
import {
  agentTopics,
  inboundCorrelation,
  parsePayload,
  responseSchema,
  routerStateSchema,
  eventSchema,
} from '../mqtt/contract.js';
import type { AgentEvent, RouterStateMessage } from '../mqtt/contract.js';
import type { MqttLink, InboundMessage } from '../mqtt/connection.js';
import { brokerSettings, connectOperator } from '../operator/broker.js';
import { EXIT, foldAnswer, isOver, outcome, startFollowing, summary, type Following } from '../operator/progress.js';
import type { SimulatedRouter } from '../sim/index.js';
import { describeChange } from '../trust/change.js';
import { buildChange, buildChangeRequest } from '../trust/drafts.js';
import { TYP } from '../trust/messages.js';
import { SimulatedSite } from './site.js';
import {
  describeSimEvent,
  describeStep,
  heading,
  narrate,
  summaryLines,
  type DemoCheck,
  type SimEvent,
  type Speaker,
} from './narration.js';

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
const REFUSAL_MS = 10_000;
/** After the refusal, how long we watch the router for an actuation that must not come. */
const QUIET_MS = 1_000;

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const run = new DemoRun(options);
  let failure: string | undefined;
  try {
    await run.setUp();
    // A forged request is only telling against an idle router: no actuation to mistake for its own.
    if (await run.signedChange()) await run.forgedRequest();
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

interface Waiter {
  test: (m: { topic: string; payload: string }) => boolean;
  resolve: (payload: string) => void;
  reject: (why: string) => void;
}

class DemoRun {
  readonly checks: DemoCheck[] = [];
  readonly #startedAt = Date.now();
  #broker: EmbeddedBroker | undefined;
  #site: SimulatedSite | undefined;
  #agent: Agent | undefined;
  #link: MqttLink | undefined;
  #fatal: Error | undefined;
  #waiters = new Set<Waiter>();
  #seen: Array<{ topic: string; payload: string }> = [];
  #power = 0;
  #updates = 0;

  constructor(private readonly options: DemoOptions) {}

  elapsed(): number {
    return Date.now() - this.#startedAt;
  }

  get passed(): boolean {
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }

  private say(who: Speaker, text: string): void {
    this.options.say(narrate(this.elapsed(), who, text));
  }

  private check(name: string, ok: boolean, detail: string): void {
    const c = { name, ok, detail };
    this.checks.push(c);
    this.say('check', `${ok ? 'ok' : 'FAIL'}: ${name}: ${detail}`);
  }

  private get site(): SimulatedSite {
    if (!this.#site) throw new Error('site not started');
    return this.#site;
  }

  private get topics() {
    return agentTopics(this.site.config.mqtt.baseTopic, this.site.siteName, this.site.agentId);
  }

  async setUp(): Promise<void> {
    this.options.say(heading('Setting up a site: no hardware, no external broker'));
    const broker = new EmbeddedBroker();
    this.#broker = broker;
    await broker.start();
    this.say('broker', `embedded MQTT broker (aedes, MQTT 3.1.1) listening on ${broker.url}`);

    const site = new SimulatedSite({ brokerUrl: broker.url, protocolVersion: EMBEDDED_BROKER_PROTOCOL });
    this.#site = site;
    await site.start();
    const router = site.router;
    const s = router.state();
    this.say(
      'router',
      `simulated ${s.model} (${s.boardName}), RouterOS ${s.routerosVersion}, ` +
        `serial ${router.serialNumber}, API on 127.0.0.1:${router.apiPort}`,
    );
    this.say(
      'router',
      `device-mode ${s.deviceMode.mode}, ` +
        `container=${s.deviceMode.features.container ? 'yes' : 'no'}, attempt-count ${s.attemptCount}`,
    );
    this.listenToRouter(router);
    const power = site.config.routers[0]?.actuators.power;
    this.say(
      'actuator',
      `simulated power relay and reset ` +
        `button wired to the router ` +
        `(control endpoint http://127.0.0.1:${router.controlPort})`,
    );
    if (power?.driver === 'sim')
      this.say(
        'actuator',
        `a power cycle keeps the power off for ${power.timing.offMs / 1000} ` +
          `s: long enough for a cold boot, which confirms a pending change`,
      );

    const team = site.team;
    const [root1, root2] = team.roots;
    this.say(
      'trust',
      `trust root signed by both root keys, 2 of 2 needed to change it: ${root1?.name} ` +
        `(key ${shortKey(root1?.keyId)}), ${root2?.name} (key ${shortKey(root2?.keyId)})`,
    );
    this.say(
      'trust',
      `approvers ${team.approvers.map((k) => k.name).join(', ')}: any 2 of 3 must co-sign; ` +
        `requester ${team.requester.name} signs requests but never counts as an approver`,
    );
    this.say(
      'trust',
      `${team.mallory.name} holds a key too (key ${shortKey(team.mallory.keyId)}), but it is not in the trust root`,
    );

    this.#link = await connectOperator(
      brokerSettings({ broker: broker.url, protocol: String(EMBEDDED_BROKER_PROTOCOL) }, 'demo'),
      {
        subscriptions: [`${this.topics.root}/#`],
        onMessage: (m) => this.onMessage(m),
        timeoutMs: 10_000,
      },
    );

    const agent = await Agent.create(site.config, { logger: this.options.logger });
    this.#agent = agent;
    agent.on('fatal', (error) => {
      this.#fatal = error;
      this.say('agent', `FATAL: ${error.message}`);
      for (const waiter of [...this.#waiters]) waiter.reject(`the agent failed (${error.message})`);
    });
    await agent.start();
    this.say(
      'agent',
      `agent ${site.agentId} at site ${site.siteName} started from ${site.configFile} (secrets in files beside it)`,
    );
    const state = await this.waitForState(
      (r) => r.reachable && r.deviceMode !== null,
      'the agent to reach the router',
      AGENT_READY_MS,
    );
    this.say(
      'agent',
      `paired with router ${state.router} (serial ${router.serialNumber}); it reports ` +
        `device-mode ${state.deviceMode?.mode}, attempt-count ${state.attemptCount}`,
    );
  }

  /** True once the agent gave its final answer (whatever it was). */
  async signedChange(): Promise<boolean> {
    this.options.say(heading('1. A signed request: enable container, confirmed by a power cycle'));
    const site = this.site;
    const change = { enable: ['container'] };
    const jws = await site.team.changeRequest({
      agent: site.agentId,
      router: { serial: site.serial },
      change,
      method: 'power',
      activationTimeoutSeconds: 120,
    });
    const approvers = site.team.approvers.slice(0, 2).map((k) => k.name);
    this.say(
      'operator',
      `${site.team.requester.name} asks agent ${site.agentId} for ` +
        `${describeChange(buildChange(change))} on the router with serial ${site.serial}, by power cycle`,
    );
    this.say(
      'operator',
      `co-signed by ${approvers.join(' and ')} (2 of 3 approvers); published to ${this.topics.request}`,
    );
    const timeoutMs = this.options.flowTimeoutMs ?? 30_000;
    const following = await this.follow(jws, timeoutMs);
    const code = outcome(following);
    const states = following.steps.map((s) => s.state).join(' > ');
    this.check(
      'signed request',
      code === EXIT.done,
      `${summary(following, code, timeoutMs)} (${states || 'no answer'})`,
    );

    const after = site.router.state();
    const routerOk =
      after.deviceMode.mode === 'home' &&
      after.deviceMode.features.container &&
      after.attemptCount === 0 &&
      after.faults.length === 0 &&
      after.booted;
    this.check(
      'router after the change',
      routerOk,
      `device-mode ${after.deviceMode.mode}, container=${after.deviceMode.features.container ? 'yes' : 'no'}, ` +
        `attempt-count ${after.attemptCount}, ${after.faults.length} faults, ${after.booted ? 'running' : after.phase}`,
    );
    if (code !== EXIT.done) return isOver(following);
    // The retained state catches up with the watcher's next read after the reboot.
    const requestId = following.requestId;
    const reported = await this.waitForState(
      (r) =>
        r.lastResult?.requestId === requestId &&
        r.lastResult.state === 'done' &&
        r.deviceMode?.features.container === true,
      'the agent to publish the new device-mode',
      5_000,
    ).catch(() => this.lastState());
    const published =
      reported?.lastResult?.requestId === requestId &&
      reported.lastResult.state === 'done' &&
      reported.deviceMode?.features.container === true;
    this.check(
      "agent's published router state",
      published,
      reported
        ? `last result ${reported.lastResult?.state ?? 'none'}, ` +
            `container=${reported.deviceMode?.features.container ? 'yes' : 'no'}, ` +
            `attempt-count ${reported.attemptCount}`
        : 'not published',
    );
    return true;
  }

  async forgedRequest(): Promise<void> {
    this.options.say(heading('2. A forged request: signed by a key the trust root does not know'));
    const site = this.site;
    const team = site.team;
    // Mallory has broker access and claims to be ops-bot; only her own key can sign.
    const payload = buildChangeRequest({
      agent: site.agentId,
      router: { serial: site.serial },
      requester: { name: team.requester.name, keyId: team.requester.keyId },
      now: Date.now(),
      change: buildChange({ enable: ['socks'] }),
      method: 'power',
      activationTimeoutSeconds: 120,
    });
    const jws = await team.sign(payload, TYP.request, [team.mallory]);
    this.say(
      'attacker',
      `${team.mallory.name} publishes a request for socks=yes that claims ` +
        `to come from ${team.requester.name}, signed with her own key`,
    );
    const before = site.router.state();
    const [power, updates] = [this.#power, this.#updates];
    const following = await this.follow(jws, REFUSAL_MS);
    const final = following.steps.find((s) => s.final);
    this.check(
      'forged request refused',
      outcome(following) === EXIT.refused && final?.error?.code === 'unknown-key',
      final?.error ? `${final.error.code}: ${final.error.message}` : summary(following, outcome(following), REFUSAL_MS),
    );

    const event = await this.waitFor(
      (m) => m.topic === this.topics.events && m.payload.includes(following.requestId),
      'the security event',
      3_000,
    )
      .then((text) => parsePayload(eventSchema, this.topics.events, text))
      .catch(() => undefined);
    if (event) this.say('agent', `event ${event.type}/${event.severity}: ${event.code}: ${event.message}`);
    this.check(
      'security event raised',
      isSecurity(event),
      event ? `${event.type} ${event.severity} ${event.code}` : 'none seen',
    );

    await sleep(QUIET_MS);
    const after = site.router.state();
    const untouched =
      this.#power === power &&
      this.#updates === updates &&
      after.uptimeMs > before.uptimeMs &&
      after.attemptCount === before.attemptCount &&
      !after.deviceMode.features.socks;
    this.check(
      'no actuation',
      untouched,
      `${this.#power - power} power events, ${this.#updates - updates} update ` +
        `requests, uptime kept counting (${(before.uptimeMs / 1000).toFixed(1)} ` +
        `s -> ${(after.uptimeMs / 1000).toFixed(1)} s), attempt-count ` +
        `${after.attemptCount}, socks=${after.deviceMode.features.socks ? 'yes' : 'no'}`,
    );
  }

  /** Publishes one signed order and narrates the agent's answers until the final one (or the timeout). */
  private async follow(jws: string, timeoutMs: number): Promise<Following> {
    const { requestId, digest } = inboundCorrelation(jws);
    if (!requestId) throw new Error('the demo built an order without a request id');
    const link = this.#link;
    if (!link) throw new Error('not connected to the broker');
    const topic = this.topics.progress(requestId);
    let following = startFollowing(requestId, digest, Date.now());
    const seen = new Set<string>();
    const over = this.waitFor(
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

  private onMessage(message: InboundMessage): void {
    const m = { topic: message.topic, payload: message.payload.toString('utf8') };
    this.#seen.push(m);
    for (const waiter of [...this.#waiters]) {
      try {
        if (!waiter.test(m)) continue;
      } catch {
        continue; // a malformed message is not the one we wait for
      }
      waiter.resolve(m.payload);
    }
  }

  /** The first message (already seen or still to come) that passes `test`; rejects on timeout or agent failure. */
  private waitFor(test: Waiter['test'], what: string, timeoutMs: number): Promise<string> {
    for (const m of this.#seen) {
      try {
        if (test(m)) return Promise.resolve(m.payload);
      } catch {
        // keep looking
      }
    }
    if (this.#fatal) return Promise.reject(new Error(`the agent failed: ${this.#fatal.message}`));
    return new Promise((resolve, reject) => {
      const settle = (error?: Error, payload?: string) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve(payload ?? '');
      };
      const waiter: Waiter = {
        test,
        resolve: (p) => settle(undefined, p),
        reject: (why) => settle(new Error(`${why} while waiting for ${what}`)),
      };
      const timer = setTimeout(() => waiter.reject(`gave up after ${timeoutMs / 1000} s`), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  private async waitForState(
    test: (r: RouterStateMessage) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<RouterStateMessage> {
    const topic = this.topics.routerState('hap1');
    const text = await this.waitFor(
      (m) => m.topic === topic && m.payload !== '' && test(parsePayload(routerStateSchema, topic, m.payload)),
      what,
      timeoutMs,
    );
    return parsePayload(routerStateSchema, topic, text);
  }

  private lastState(): RouterStateMessage | undefined {
    const topic = this.topics.routerState('hap1');
    const last = this.#seen.filter((m) => m.topic === topic && m.payload !== '').at(-1);
    return last ? parsePayload(routerStateSchema, topic, last.payload) : undefined;
  }

  private listenToRouter(router: SimulatedRouter): void {
    const tell = (event: SimEvent) => this.say('router', describeSimEvent(event));
    router.on(
      'update-requested',
      (e: { pending: { change: Parameters<typeof describeSim>[0]; timeoutMs: number }; attemptCount: number }) => {
        this.#updates += 1;
        tell({
          kind: 'update-requested',
          change: describeSim(e.pending.change),
          attemptCount: e.attemptCount,
          timeoutMs: e.pending.timeoutMs,
        });
      },
    );
    router.on('update-confirmed', () => tell({ kind: 'update-confirmed' }));
    router.on('update-canceled', (e: { reason: string }) => tell({ kind: 'update-canceled', reason: e.reason }));
    router.on('power', (e: { on: boolean; offMs?: number; cold?: boolean }) => {
      this.#power += 1;
      tell({ kind: 'power', ...e });
    });
    router.on('boot', (e: { cold: boolean }) => tell({ kind: 'boot', cold: e.cold }));
    router.on('booted', () => {
      const s = router.state();
      tell({ kind: 'booted' });
      this.say(
        'router',
        `device-mode ${s.deviceMode.mode}, ` +
          `container=${s.deviceMode.features.container ? 'yes' : 'no'}, attempt-count ${s.attemptCount}`,
      );
    });
    router.on('applied', (e: { change: Parameters<typeof describeSim>[0] }) =>
      tell({ kind: 'applied', change: describeSim(e.change) }),
    );
    router.on('fault', (f: { kind: string }) => tell({ kind: 'fault', fault: f.kind }));
  }

  /** Stops everything in reverse order, checks the audit trail, and removes the site when all went well. */
  async tearDown(passed: boolean): Promise<void> {
    this.options.say(heading('Shutting down'));
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

function describeSim(change: { mode?: string; features?: Record<string, boolean | undefined> }): string {
  const parts = change.mode ? [`mode=${change.mode}`] : [];
  for (const [feature, on] of Object.entries(change.features ?? {}))
    if (on !== undefined) parts.push(`${feature}=${on ? 'yes' : 'no'}`);
  return parts.join(' ') || 'no change';
}

/** Key ids are long base64url hashes; the first characters are enough to tell them apart here. */
function shortKey(keyId: string | undefined): string {
  return keyId ? `${keyId.slice(0, 10)}…` : '?';
}

function isSecurity(event: AgentEvent | undefined): boolean {
  return event?.type === 'security' && event.code === 'unknown-key';
}
