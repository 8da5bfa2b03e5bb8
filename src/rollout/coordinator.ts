import type { Logger } from '../log/logger.js';
import {
  agentTopics,
  messageDigest,
  parseTopic,
  REFUSAL_CODES,
  responseSchema,
  routerStateSchema,
} from '../mqtt/contract.js';
import { parseStrict } from '../trust/strict-json.js';
import type { Envelope, Signer } from '../trust/jws.js';
import type { TargetTree } from '../trust/campaign/build.js';
import type { Campaign } from '../trust/campaign/schema.js';
import { targetRequestId, waveOf } from '../trust/campaign/schema.js';
import type { FleetTarget } from './inventory.js';
import { readControl, readJournal, writeJournal } from './journal.js';
import type { RolloutJournal, TargetRecord } from './journal.js';
import { campaignOrder } from './orders.js';
import type { StatusPublisher } from './status-publisher.js';
import { buildStatus } from './status-view.js';
import { abortVerdict, countStates, FINAL_TARGET_STATES } from './verdict.js';
import type { TargetState } from './verdict.js';

export interface CoordinatorOptions {
  dir: string;
  base: string;
  campaignEnvelope: Envelope;
  campaign: Campaign;
  digest: string;
  targets: FleetTarget[];
  tree: TargetTree;
  key: Signer;
  publish: (topic: string, payload: string, expirySeconds: number) => Promise<void>;
  now: () => number;
  /** A released target with no final answer after this long is timed out (at least the release validity: it can no
   * longer start then). */
  targetTimeoutMs: number;
  /** How long each release is valid (and how long the broker may hold the order). */
  releaseValidityMs: number;
  logger: Logger;
  /** Where the retained status goes (issue 12: `rollout status --broker`); none in a bare coordinator. */
  status?: StatusPublisher;
}

const REFUSALS: ReadonlySet<string> = new Set(REFUSAL_CODES);
/** Answers that say nothing about the outcome: the target acted before (a resent order), or is still to answer. */
const NOT_AN_OUTCOME = new Set(['replayed']);

/**
 * The rollout coordinator: releases the campaign's waves in order, one after the previous
 * one has finished (and its pause passed), follows each target's answers, and stops
 * releasing once an abort criterion is met or an operator aborts. Everything it decides
 * goes to its journal before anything is published, so a restart resumes where it was:
 * a target is never released twice by mistake, and a released one is followed again.
 */
export class Coordinator {
  readonly #byRequest = new Map<string, TargetRecord>();
  #dirty = false;

  private constructor(
    private readonly o: CoordinatorOptions,
    readonly journal: RolloutJournal,
  ) {
    for (const t of journal.targets) this.#byRequest.set(t.requestId, t);
  }

  static async open(o: CoordinatorOptions): Promise<Coordinator> {
    if (o.targetTimeoutMs < o.releaseValidityMs) {
      throw new Error(
        `the target timeout (${o.targetTimeoutMs / 1000} s) must be at least the release validity ` +
          `(${o.releaseValidityMs / 1000} s): a target timed out must no longer be able to start`,
      );
    }
    const existing = await readJournal(o.dir);
    if (existing) {
      if (existing.campaignId !== o.campaign.campaignId || existing.campaignDigest !== o.digest) {
        throw new Error(`${o.dir} holds the journal of campaign ${existing.campaignId}, not ${o.campaign.campaignId}`);
      }
      return new Coordinator(o, existing);
    }
    const { waves, targets } = o.campaign;
    const journal: RolloutJournal = {
      v: 1,
      campaignId: o.campaign.campaignId,
      campaignDigest: o.digest,
      base: o.base,
      createdAt: new Date(o.now()).toISOString(),
      nextWave: 0,
      releases: [],
      paused: false,
      targets: o.targets.map((t, index) => ({
        site: t.site,
        agent: t.agent,
        router: t.router,
        index,
        wave: waveOf(index, waves, targets.count),
        requestId: targetRequestId(o.campaign.campaignId, t),
        state: 'queued',
      })),
    };
    await writeJournal(o.dir, journal);
    return new Coordinator(o, journal);
  }

  /** What to subscribe to: every agent's answers and router state under the base. */
  subscriptions(): string[] {
    return [`${this.o.base}/+/+/progress/+`, `${this.o.base}/+/+/routers/+/state`];
  }

  get finished(): boolean {
    return this.journal.finishedAt !== undefined;
  }

  /** One answer or retained router state; anything not about our targets is ignored. */
  onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(this.o.base, topic);
    if (!parsed || payload.length === 0) return;
    try {
      if (parsed.kind === 'progress') {
        const target = this.#byRequest.get(parsed.requestId);
        // Only released targets have anything to report; answers are unsigned, so one that
        // quotes none of the orders we sent (a forgery reusing the id) changes nothing.
        if (!target || target.agent !== parsed.agent || target.state === 'queued') return;
        const answer = parseStrict(responseSchema, payload);
        const sent = target.orders;
        if (sent && (answer.data.inReplyTo === undefined || !sent.includes(answer.data.inReplyTo))) return;
        if (!answer.data.final) return this.#set(target, 'in-progress');
        const code = answer.error?.code;
        if (code !== undefined && NOT_AN_OUTCOME.has(code)) return;
        this.#set(target, outcome(answer.data.state, code), code, answer.data.detail ?? answer.error?.message);
      } else if (parsed.kind === 'routerState') {
        // After a restart: an outcome we missed is in the router's retained last result.
        const last = parseStrict(routerStateSchema, payload).lastResult;
        const target = last?.requestId === undefined ? undefined : this.#byRequest.get(last.requestId);
        if (
          !target ||
          target.agent !== parsed.agent ||
          FINAL_TARGET_STATES.has(target.state) ||
          target.state === 'queued'
        )
          return;
        if (['done', 'failed', 'cancelled', 'expired'].includes(last!.state))
          this.#set(target, outcome(last!.state, undefined), undefined, last!.detail);
      }
    } catch (error) {
      this.o.logger.warn({ topic, err: (error as Error).message }, 'rollout: message not in the contract, ignored');
    }
  }

  #set(target: TargetRecord, state: TargetState, code?: string, detail?: string): void {
    if (FINAL_TARGET_STATES.has(target.state) || target.state === state) return;
    target.state = state;
    target.updatedAt = new Date(this.o.now()).toISOString();
    if (code !== undefined) target.code = code;
    if (detail !== undefined) target.detail = detail.slice(0, 300);
    this.#dirty = true;
  }

  /** One step: operator control, timeouts, the abort verdict, then at most one wave released. */
  async tick(): Promise<void> {
    const j = this.journal;
    if (this.finished) return;
    const now = this.o.now();
    const control = await readControl(this.o.dir);
    if (j.paused !== control.paused) [j.paused, this.#dirty] = [control.paused, true];
    if (control.abort && !j.aborted) this.#abort('operator', control.abort.why);
    for (const t of j.targets) {
      const released = t.releasedAt ? Date.parse(t.releasedAt) : undefined;
      if (released !== undefined && !FINAL_TARGET_STATES.has(t.state) && now - released > this.o.targetTimeoutMs) {
        this.#set(
          t,
          'timed-out',
          undefined,
          `no final answer ${Math.round(this.o.targetTimeoutMs / 1000)} s after the release`,
        );
      }
    }
    const verdict = abortVerdict(countStates(j.targets.map((t) => t.state)), this.o.campaign.abort);
    if (verdict.abort && !j.aborted) this.#abort('criterion', verdict.why);
    const inFlight = j.targets.some((t) => t.wave < j.nextWave && !FINAL_TARGET_STATES.has(t.state));
    if (!inFlight && j.nextWave > 0 && j.waveDoneAt === undefined)
      [j.waveDoneAt, this.#dirty] = [new Date(now).toISOString(), true];
    if (!j.aborted && !j.paused && !inFlight && j.nextWave < this.o.campaign.waves.length) {
      const pauseMs = (this.o.campaign.waves[j.nextWave - 1]?.pauseSeconds ?? 0) * 1000;
      if (j.nextWave === 0 || now >= Date.parse(j.waveDoneAt!) + pauseMs) return this.#release(j.nextWave, now);
    }
    if (!inFlight && (j.aborted || j.nextWave >= this.o.campaign.waves.length)) {
      j.finishedAt = new Date(now).toISOString();
      this.#dirty = true;
    }
    await this.flush();
  }

  #abort(by: 'criterion' | 'operator', why: string): void {
    const at = new Date(this.o.now()).toISOString();
    this.journal.aborted = { at, by, why };
    // Targets never released never act: they are cancelled now, at once.
    for (const t of this.journal.targets)
      if (t.state === 'queued') this.#set(t, 'cancelled', undefined, `campaign aborted (${by}): ${why}`);
    this.o.logger.warn({ campaignId: this.journal.campaignId, by, why }, 'rollout aborted: no further releases');
    this.#dirty = true;
  }

  /** Journals the wave as released, then publishes one order per target. */
  async #release(wave: number, now: number): Promise<void> {
    const j = this.journal;
    const targets = j.targets.filter((t) => t.wave === wave && t.state === 'queued');
    const at = new Date(now).toISOString();
    for (const t of targets) [t.state, t.releasedAt] = ['released', at];
    j.nextWave = wave + 1;
    delete j.waveDoneAt;
    j.releases.push({ wave, at, targets: targets.length });
    this.#dirty = true;
    await this.flush();
    this.o.logger.info({ campaignId: j.campaignId, wave, targets: targets.length }, 'rollout: wave released');
    await this.#send(targets, now);
  }

  async #send(targets: TargetRecord[], now: number): Promise<void> {
    // Every order is signed and its digest journaled first (one write): answers to them are recognised after a restart
    // too.
    const orders: string[] = [];
    for (const target of targets) {
      const order = await campaignOrder({ ...this.o, target, now, validityMs: this.o.releaseValidityMs });
      target.orders = [...(target.orders ?? []), messageDigest(order)];
      orders.push(order);
    }
    this.#dirty = true;
    await this.flush();
    for (const [i, target] of targets.entries()) {
      // An operator's abort stops even a wave being sent: the rest of it never gets an order.
      if (i % 25 === 0 && i > 0 && !this.journal.aborted) {
        const control = await readControl(this.o.dir);
        if (control.abort) {
          for (const unsent of targets.slice(i))
            [unsent.state, unsent.detail] = ['cancelled', 'campaign aborted before its order was sent'];
          this.#abort('operator', control.abort.why);
          await this.flush();
          return;
        }
      }
      await this.o.publish(
        agentTopics(this.o.base, target.site, target.agent).release,
        orders[i]!,
        this.o.releaseValidityMs / 1000,
      );
    }
  }

  /**
   * After a restart: released targets without any answer get their order again (a new
   * release for the same target and wave; an agent that already took it answers `replayed`,
   * which changes nothing here). Never releases anything new.
   */
  async resend(): Promise<number> {
    if (this.journal.aborted) return 0;
    const silent = this.journal.targets.filter((t) => t.state === 'released');
    await this.#send(silent, this.o.now());
    return silent.length;
  }

  /** Writes the journal if anything changed, then offers the status (also when its heartbeat is due). */
  async flush(): Promise<void> {
    if (!this.#dirty) {
      if (!this.finished && this.o.status?.heartbeatDue(this.o.now())) this.publishStatus();
      return;
    }
    this.#dirty = false;
    await writeJournal(this.o.dir, this.journal);
    this.publishStatus();
  }

  /** Offers the whole status to the publisher, which sends only what changed; never waits for the broker. */
  publishStatus(): void {
    this.o.status?.offer(buildStatus(this.journal, this.o.campaign, this.o.now()));
  }
}

function outcome(state: string, code: string | undefined): TargetState {
  if (state === 'done') return 'succeeded';
  if (state === 'expired') return 'timed-out';
  if (state === 'cancelled') return 'cancelled';
  return code !== undefined && REFUSALS.has(code) ? 'refused' : 'failed';
}
