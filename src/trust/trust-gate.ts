import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Policy } from '../config/policy-schema.js';
import type { WallClock } from '../time/wall-clock.js';
import { DEFAULT_MAX_WINDOW_MS } from './freshness.js';
import { parseEnvelope, unverifiedPayload } from './jws.js';
import type { Challenge, ChangeRequest, Approval, PowerCycle, RouterRef } from './messages.js';
import { NonceStore } from './nonce-store.js';
import { RateLimiter } from './rate-limit.js';
import { refuse, TrustError } from './refusal.js';
import type { Refusal } from './refusal.js';
import { ReplayStore } from './replay-store.js';
import { TrustStore } from './trust-store.js';
import type { RootUpdate } from './trust-store.js';
import { verifyApproval, verifyChangeRequest, verifyPowerCycle } from './verify.js';
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
  readonly replayStore: ReplayStore;
  readonly nonceStore: NonceStore;
  readonly rateLimiter: RateLimiter;

  constructor(private readonly options: TrustGateOptions) {
    this.trustStore = new TrustStore(options.stateDir);
    this.replayStore = new ReplayStore(join(options.stateDir, 'replay.json'));
    this.nonceStore = new NonceStore(join(options.stateDir, 'nonces.json'));
    this.rateLimiter = new RateLimiter(join(options.stateDir, 'rate.json'));
    if (this.replayStore.retentionMs <= DEFAULT_MAX_WINDOW_MS) throw new Error('replay retention must exceed the longest window');
  }

  /** Loads every store; returns notes for the log (e.g. a configured root that was older). */
  async start(): Promise<string[]> {
    const { notes } = await this.trustStore.load(this.options.initialTrustRoot);
    await Promise.all([this.replayStore.load(), this.nonceStore.load(), this.rateLimiter.load()]);
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
      nonceStore: this.nonceStore,
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

  /** An approval for the pending challenge of `router`; the nonce is consumed on success. */
  verifyApproval(bytes: Uint8Array | string, router: RouterBinding, challenge: Challenge): Promise<Verdict<Approval>> {
    return verifyApproval(bytes, challenge, this.#context(router));
  }

  /**
   * A new challenge for a pending operation on `router`; any earlier challenge with the
   * same id stops being valid. Publish it; approvals must quote it exactly.
   */
  async issueChallenge(router: RouterBinding, observed: Challenge['observed'], challengeId = `chal-${randomBytes(9).toString('base64url')}`): Promise<Challenge> {
    if (router.serial === undefined && router.systemId === undefined) {
      throw new Error(`router ${router.name} has no known serial or system id; pair it before issuing challenges`);
    }
    const now = this.options.clock.now();
    const nonce = await this.nonceStore.issue(challengeId, now);
    const ref: RouterRef = router.serial !== undefined ? { serial: router.serial } : { systemId: router.systemId! };
    return {
      v: 1,
      kind: 'challenge',
      challengeId,
      nonce,
      agent: this.options.agentId,
      router: ref,
      ...(observed ? { observed } : {}),
      issuedAt: new Date(now).toISOString(),
    };
  }

  /** Applies a new trust root (the next version, signed by old and new root keys). */
  updateTrustRoot(text: string): Promise<RootUpdate | Refusal> {
    return this.trustStore.update(text);
  }
}
