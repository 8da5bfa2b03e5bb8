import { join } from 'node:path';
import type { Policy } from '../config/policy-schema.js';
import type { WallClock } from '../time/wall-clock.js';
import { DEFAULT_MAX_WINDOW_MS } from './freshness.js';
import { openEnvelope, type OpenedEnvelope, type SignedInput } from './jws.js';
import { ChallengeBook } from './challenge-book.js';
import type { Cancel, Challenge, ChangeRequest, Approval, PowerCycle, RouterRef } from './messages.js';
import { NonceStore } from './nonce-store.js';
import { RateLimiter } from './rate-limit.js';
import { refuse, TrustError } from './refusal.js';
import type { Refusal } from './refusal.js';
import { ReplayStore } from './replay-store.js';
import { SkCounterStore } from './ssh/sk-counters.js';
import { TrustLedger } from './trust-ledger.js';
import { TrustStore } from './trust-store.js';
import type { RootUpdate } from './trust-store.js';
import { verifyApproval, verifyCancel, verifyChangeRequest, verifyPowerCycle } from './verify.js';
import type { CampaignAccepted } from './campaign/verify.js';
import type { CampaignOrderInput, OpenedCampaignOrder } from './campaign/order-read.js';
import type { Accepted, RouterBinding, Verdict, VerifyContext } from './verify.js';

/**
 * What one router's supervisor may ask of trust, and nothing more: its challenges (an
 * observed change's, or an order challenge) and, at pairing, which unit it is. The gate
 * hands one per router (TrustGate.forRouter); nothing outside inbound and the gate holds the gate.
 */
export interface RouterTrust {
  /** Whether the router's unit is known (paired or configured): messages can name it. */
  readonly bound: boolean;
  /** The unit is paired: messages naming its serial or system id now reach this router. */
  bind(unit: { serial?: string | undefined; systemId?: string | undefined }): void;
  /** A new challenge for the approval of the observed change; supersedes an earlier one. */
  openApprovalChallenge(observed: Challenge['observed']): Promise<Challenge>;
  /** The router's open order challenge, or a new one. */
  orderChallenge(): Promise<Challenge>;
  close(challengeId: string): Promise<void>;
  clockSynced(): Promise<boolean>;
  /** The request id of the accepted approval that used this challenge (crash recovery), if any. */
  acceptedFor(challengeId: string): string | undefined;
}

/** A gate verdict: accepted messages say which router of this agent they name. */
export type GateVerdict<M extends ChangeRequest | Approval | PowerCycle | Cancel> =
  (Accepted<M> & { router: string }) | Refusal;

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
    if (this.replayStore.retentionMs <= DEFAULT_MAX_WINDOW_MS)
      throw new Error('replay retention must exceed the longest window');
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
      (r) =>
        (ref.serial !== undefined && r.serial === ref.serial) ||
        (ref.systemId !== undefined && r.systemId === ref.systemId),
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
      // An order whose window (or the site's) has not opened is accepted with opensAt: the agent schedules it.
      schedulable: true,
    };
  }

  /** Picks the router from the unverified payload; verification then checks it for real. */
  #routerOf(opened: OpenedEnvelope): RouterBinding {
    const ref = (opened.payload as { router?: RouterRef } | null)?.router;
    const router = ref && typeof ref === 'object' ? this.routerFor(ref) : undefined;
    if (!router)
      refuse(
        'wrong-router',
        `the message names router ${JSON.stringify(ref ?? null)}, which this agent does not serve`,
      );
    return router;
  }

  /** Reads the message once (openEnvelope), picks its router, and runs the verification on what was read. */
  async #guard<M extends ChangeRequest | Approval | PowerCycle | Cancel>(
    input: SignedInput,
    run: (router: RouterBinding, opened: OpenedEnvelope) => Promise<Verdict<M>>,
  ): Promise<GateVerdict<M>> {
    let router: RouterBinding;
    let opened: OpenedEnvelope;
    try {
      opened = openEnvelope(input);
      router = this.#routerOf(opened);
    } catch (error) {
      if (error instanceof TrustError) return error.toRefusal();
      throw error;
    }
    const verdict = await run(router, opened);
    return verdict.ok ? { ...verdict, router: router.name } : verdict;
  }

  verifyChangeRequest(input: SignedInput): Promise<GateVerdict<ChangeRequest>> {
    return this.#guard(input, (router, opened) => verifyChangeRequest(opened, this.#context(router)));
  }

  /** A signed cancel of a scheduled order; commit() remembers its id (no rate budget). */
  verifyCancel(input: SignedInput): Promise<GateVerdict<Cancel>> {
    return this.#guard(input, (router, opened) => verifyCancel(opened, this.#context(router)));
  }

  verifyPowerCycle(input: SignedInput): Promise<GateVerdict<PowerCycle>> {
    return this.#guard(input, (router, opened) => verifyPowerCycle(opened, this.#context(router)));
  }

  /**
   * Issue 12: a campaign order (campaign, membership proof, release) for one router of ours,
   * given as bytes or as read at the door (openCampaignOrder): routed and verified on that reading.
   */
  async verifyCampaignOrder(input: CampaignOrderInput): Promise<(CampaignAccepted & { router: string }) | Refusal> {
    // Loaded on the first campaign order: an idle agent does not carry the campaign code.
    const [{ openCampaignOrder }, { verifyCampaignOrder }] = await Promise.all([
      import('./campaign/order-read.js'),
      import('./campaign/verify.js'),
    ]);
    let opened: OpenedCampaignOrder;
    try {
      opened = openCampaignOrder(input);
    } catch (error) {
      if (error instanceof TrustError) return error.toRefusal();
      throw error;
    }
    const router = this.routerFor(opened.order.target.router);
    if (!router)
      return {
        ok: false,
        reason: 'wrong-router',
        detail: 'the campaign order names a router this agent does not serve',
      };
    const verdict = await verifyCampaignOrder(opened, this.#context(router));
    return verdict.ok ? { ...verdict, router: router.name } : verdict;
  }

  /**
   * An approval of an observed change: the gate finds the open challenge it quotes (by id,
   * read before verifying; verification then checks the signed quote against it), and the
   * nonce is consumed on success.
   */
  verifyApproval(input: SignedInput): Promise<GateVerdict<Approval>> {
    return this.#guard(input, (router, opened) => {
      const quoted = (opened.payload as { challenge?: { challengeId?: unknown } } | null)?.challenge;
      const id =
        quoted && typeof quoted === 'object' && typeof quoted.challengeId === 'string' ? quoted.challengeId : undefined;
      const open = id === undefined ? undefined : this.challenges.find(id);
      if (!open) {
        const detail =
          `the approval quotes challenge ${String(id)}, which is ` +
          `not open here (already used, closed or never issued)`;
        return Promise.resolve({ ok: false, reason: 'nonce-stale', detail } as const);
      }
      return verifyApproval(opened, open.challenge, this.#context(router));
    });
  }

  /** The trust one router's supervisor may use (see RouterTrust). */
  forRouter(name: string): RouterTrust {
    const binding = this.options.routers.find((r) => r.name === name);
    if (!binding) throw new Error(`router ${name} is not one of this agent's`);
    const book = this.challenges;
    return {
      get bound() {
        return binding.serial !== undefined || binding.systemId !== undefined;
      },
      bind: (unit) => {
        binding.serial = unit.serial;
        binding.systemId = unit.systemId;
      },
      openApprovalChallenge: (observed) => book.open(binding, 'approval', observed),
      orderChallenge: async () => book.openOrderChallenge(name) ?? (await book.open(binding, 'order')),
      close: (challengeId) => book.close(challengeId),
      clockSynced: () => this.clockSynced(),
      acceptedFor: (challengeId) => this.acceptedFor(challengeId),
    };
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
