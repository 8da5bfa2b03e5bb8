import { join } from 'node:path';
import type { Policy } from '../config/policy-schema.js';
import type { WallClock } from '../time/wall-clock.js';
import { DEFAULT_MAX_WINDOW_MS } from './freshness.js';
import { parseEnvelope, unverifiedPayload } from './jws.js';
import { ChallengeBook } from './challenge-book.js';
import type { Challenge, ChangeRequest, Approval, PowerCycle, RouterRef } from './messages.js';
import { NonceStore } from './nonce-store.js';
import { RateLimiter } from './rate-limit.js';
import { refuse, TrustError } from './refusal.js';
import type { Refusal } from './refusal.js';
import { ReplayStore } from './replay-store.js';
import { SkCounterStore } from './ssh/sk-counters.js';
import { TrustLedger } from './trust-ledger.js';
import { TrustStore } from './trust-store.js';
import type { RootUpdate } from './trust-store.js';
import { verifyApproval, verifyChangeRequest, verifyPowerCycle } from './verify.js';
import type { CampaignVerdict } from './campaign/verify.js';
import type { RouterBinding, Verdict, VerifyContext } from './verify.js';

export interface TrustGateOptions {
  stateDir: string;
  /** Contents of the configured trust.json (bootstraps the store; never rolls it back). */
  initialTrustRoot: string | undefined;
  agentId: string;
  clock: WallClock;
  policy: Policy;
  routers: RouterBinding[];
}

/**
 * The agent's single door for signed messages: it owns the trust root store, the replay
 * memory, the challenge nonces and the rate limits in the state directory, and picks the
 * router binding a message names. A message that names no router of this agent is refused.
 */
export class TrustGate {
  readonly trustStore: TrustStore;
  readonly ledger: TrustLedger;
  readonly replayStore: ReplayStore;
  readonly nonceStore: NonceStore;
  readonly challenges: ChallengeBook;
  readonly rateLimiter: RateLimiter;
  readonly skCounters: SkCounterStore;

  constructor(private readonly options: TrustGateOptions) {
    this.trustStore = new TrustStore(options.stateDir);
    // Replay memory, rate budget and security-key counters share one file: an order's commit
    // makes all of them durable with one atomic write (docs/agent.md, durable writes).
    this.ledger = new TrustLedger(options.stateDir);
    this.replayStore = new ReplayStore(this.ledger.section('replay'));
    this.nonceStore = new NonceStore(join(options.stateDir, 'nonces.json'));
    this.challenges = new ChallengeBook(this.nonceStore, options.agentId, options.clock);
    this.rateLimiter = new RateLimiter(this.ledger.section('rate'));
    this.skCounters = new SkCounterStore(this.ledger.section('sk'));
    if (this.replayStore.retentionMs <= DEFAULT_MAX_WINDOW_MS) throw new Error('replay retention must exceed the longest window');
  }

  /** Loads every store; returns notes for the log (e.g. a configured root that was older). */
  async start(): Promise<string[]> {
    const { notes } = await this.trustStore.load(this.options.initialTrustRoot);
    notes.push(...(await this.ledger.load()));
    const stores = [this.replayStore, this.rateLimiter, this.skCounters];
    // The challenge book loads the nonce store and then its own open challenges.
    await Promise.all([...stores.map((store) => store.load()), this.challenges.start()]);
    return notes;
  }

  /** The binding a router reference names, by serial or system id. */
  routerFor(ref: RouterRef): RouterBinding | undefined {
    return this.options.routers.find(
      (r) => (ref.serial !== undefined && r.serial === ref.serial) || (ref.systemId !== undefined && r.systemId === ref.systemId),
    );
  }

  #context(router: RouterBinding): VerifyContext {
    return {
      trustRoot: this.trustStore.current,
      agentId: this.options.agentId,
      router,
      clock: this.options.clock,
      policy: this.options.policy,
      replayStore: this.replayStore,
      skCounters: this.skCounters,
      nonceStore: this.nonceStore,
      challenges: this.challenges,
      // The supervisor commits (nonce, id, rate budget) only when the operation really starts.
      deferCommit: true,
      rateLimiter: this.rateLimiter,
    };
  }

  /** Picks the router from the unverified payload; verification then checks it for real. */
  #routerOf(bytes: Uint8Array | string): RouterBinding {
    const payload = unverifiedPayload(parseEnvelope(bytes)) as { router?: RouterRef } | null;
    const ref = payload?.router;
    const router = ref && typeof ref === 'object' ? this.routerFor(ref) : undefined;
    if (!router) refuse('wrong-router', `the message names router ${JSON.stringify(ref ?? null)}, which this agent does not serve`);
    return router;
  }

  async #guard<M extends ChangeRequest | Approval | PowerCycle>(bytes: Uint8Array | string, run: (router: RouterBinding) => Promise<Verdict<M>>): Promise<Verdict<M>> {
    let router: RouterBinding;
    try {
      router = this.#routerOf(bytes);
    } catch (error) {
      if (error instanceof TrustError) return error.toRefusal();
      throw error;
    }
    return run(router);
  }

  verifyChangeRequest(bytes: Uint8Array | string): Promise<Verdict<ChangeRequest>> {
    return this.#guard(bytes, (router) => verifyChangeRequest(bytes, this.#context(router)));
  }

  verifyPowerCycle(bytes: Uint8Array | string): Promise<Verdict<PowerCycle>> {
    return this.#guard(bytes, (router) => verifyPowerCycle(bytes, this.#context(router)));
  }

  /** Issue 12: a campaign order (campaign, membership proof, release) for one router of ours. */
  async verifyCampaignOrder(bytes: Uint8Array | string): Promise<CampaignVerdict> {
    // Loaded on the first campaign order: an idle agent does not carry the campaign code.
    const { readCampaignOrder, verifyCampaignOrder } = await import('./campaign/verify.js');
    let router: RouterBinding | undefined;
    try {
      router = this.routerFor(readCampaignOrder(bytes).target.router);
    } catch (error) {
      if (error instanceof TrustError) return error.toRefusal();
      throw error;
    }
    if (!router) return { ok: false, reason: 'wrong-router', detail: 'the campaign order names a router this agent does not serve' };
    return verifyCampaignOrder(bytes, this.#context(router));
  }

  /**
   * An approval of an observed change: the gate finds the open challenge it quotes (by id,
   * read before verifying; verification then checks the signed quote against it), and the
   * nonce is consumed on success.
   */
  verifyApproval(bytes: Uint8Array | string): Promise<Verdict<Approval>> {
    return this.#guard(bytes, (router) => {
      const quoted = (unverifiedPayload(parseEnvelope(bytes)) as { challenge?: { challengeId?: unknown } } | null)?.challenge;
      const id = quoted && typeof quoted === 'object' && typeof quoted.challengeId === 'string' ? quoted.challengeId : undefined;
      const open = id === undefined ? undefined : this.challenges.find(id);
      if (!open) {
        const detail = `the approval quotes challenge ${String(id)}, which is not open here (already used, closed or never issued)`;
        return Promise.resolve({ ok: false, reason: 'nonce-stale', detail } as const);
      }
      return verifyApproval(bytes, open.challenge, this.#context(router));
    });
  }

  /** A new challenge for the approval of an observed change on `router`; publish it. */
  issueChallenge(router: RouterBinding, observed: Challenge['observed']): Promise<Challenge> {
    return this.challenges.open(router, 'approval', observed);
  }

  /** The request id of the accepted approval that used this challenge (crash recovery), if any. */
  acceptedFor(challengeId: string): string | undefined {
    return this.replayStore.acceptedFor(challengeId);
  }

  /** Whether wall time can be believed now (orders without a challenge need it). */
  clockSynced(): Promise<boolean> {
    return this.options.clock.isSynchronized();
  }

  /** Applies a new trust root (the next version, signed by old and new root keys). */
  updateTrustRoot(text: string): Promise<RootUpdate | Refusal> {
    return this.trustStore.update(text);
  }
}
