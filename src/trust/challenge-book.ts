import { randomBytes } from 'node:crypto';
import type { WallClock as Clock } from '../time/wall-clock.js';
import type { Challenge, RouterRef, SignedMessage } from './messages.js';
import type { NonceStore } from './nonce-store.js';
import { refuse } from './refusal.js';
import type { RouterBinding } from './verify.js';

/**
 * What a challenge may be quoted by: `approval` (an observed change, by the approval of
 * that one operation) or `order` (a fresh challenge an operator asked for, by a change
 * request or a power cycle for that router).
 */
export type ChallengeUse = 'approval' | 'order';

/** An order challenge nobody used is closed after this long (monotonic time). */
export const ORDER_CHALLENGE_TTL_MS = 3600_000;

export interface OpenChallenge {
  challenge: Challenge;
  /** performance.now() when issued: order challenges expire by monotonic time. */
  openedMono: number;
  /** The binding name of the router it was issued for. */
  router: string;
  use: ChallengeUse;
}

const KIND_USE: Record<SignedMessage['kind'], ChallengeUse> = {
  approval: 'approval',
  'change-request': 'order',
  'power-cycle': 'order',
  cancel: 'order',
};

/**
 * The challenges this agent has open: it issues them, closes them, and says which one a
 * message quotes. A challenge belongs to one agent, one router and one use: an approval
 * quoting an order challenge, an order quoting an observed change's challenge, a message
 * for another router, or an approval quoting another observation is `wrong-challenge`.
 * Nonces live in the NonceStore (single use, consumed durably before acting); the binding
 * lives here, in memory: challenges of an earlier run are forgotten at start (their
 * operations were cancelled by the restart; recovery issues fresh ones).
 */
export class ChallengeBook {
  readonly #open = new Map<string, OpenChallenge>();

  constructor(
    readonly nonces: NonceStore,
    private readonly agentId: string,
    private readonly clock: Clock,
  ) {}

  /** Loads the nonce store and forgets every challenge an earlier run left open. */
  async start(): Promise<void> {
    await this.nonces.load();
    await this.nonces.discardAll();
  }

  /**
   * A new challenge for `router`; `observed` for the approval of an observed change (one
   * operation), none for an order challenge. Publish it; messages must quote it exactly.
   */
  async open(router: RouterBinding, use: ChallengeUse, observed?: Challenge['observed']): Promise<Challenge> {
    if (router.serial === undefined && router.systemId === undefined) {
      throw new Error(`router ${router.name} has no known serial or system id; pair it before issuing challenges`);
    }
    // One open challenge per router and use: a new one supersedes the older.
    for (const [id, open] of [...this.#open]) if (open.router === router.name && open.use === use) await this.close(id);
    const challengeId = `chal-${randomBytes(9).toString('base64url')}`;
    const now = this.clock.now();
    const nonce = await this.nonces.issue(challengeId, now);
    const ref: RouterRef = router.serial !== undefined ? { serial: router.serial } : { systemId: router.systemId! };
    const challenge: Challenge = {
      v: 1,
      kind: 'challenge',
      challengeId,
      nonce,
      agent: this.agentId,
      router: ref,
      ...(observed ? { observed } : {}),
      issuedAt: new Date(now).toISOString(),
    };
    this.#open.set(challengeId, { challenge, openedMono: performance.now(), router: router.name, use });
    return challenge;
  }

  /** The open challenge with this id whose nonce is still unused. */
  find(challengeId: string): OpenChallenge | undefined {
    const open = this.#open.get(challengeId);
    const stale = open?.use === 'order' && performance.now() - open.openedMono > ORDER_CHALLENGE_TTL_MS;
    if (open && (stale || !this.nonces.isCurrent(challengeId, open.challenge.nonce))) {
      this.#open.delete(challengeId);
      return undefined;
    }
    return open;
  }

  /** The open, unused order challenge of a router, if any. */
  openOrderChallenge(router: string): Challenge | undefined {
    for (const [id, open] of this.#open)
      if (open.router === router && open.use === 'order' && this.find(id)) return open.challenge;
    return undefined;
  }

  /**
   * Refuses a message that quotes a challenge it may not use: not open (`nonce-stale`), or
   * issued for another router, agent, kind of message or observation (`wrong-challenge`).
   */
  check(message: SignedMessage, router: RouterBinding): void {
    const quoted = message.challenge;
    if (!quoted) return;
    const open = this.find(quoted.challengeId);
    if (!open || open.challenge.nonce !== quoted.nonce) {
      refuse(
        'nonce-stale',
        `challenge ${quoted.challengeId}: nonce is not the current one (already used, superseded or never issued)`,
      );
    }
    const issued = open.challenge;
    const what = open.use === 'approval' ? 'the approval of an observed change' : 'a change request or power cycle';
    if (open.use !== KIND_USE[message.kind])
      refuse('wrong-challenge', `challenge ${issued.challengeId} was issued for ${what}, not for a ${message.kind}`);
    if (open.router !== router.name || message.agent !== issued.agent) {
      refuse(
        'wrong-challenge',
        `challenge ${issued.challengeId} was issued for router ${open.router} of agent ${issued.agent}`,
      );
    }
    const sameRouter =
      message.router.serial === issued.router.serial && message.router.systemId === issued.router.systemId;
    if (!sameRouter)
      refuse('wrong-challenge', `challenge ${issued.challengeId} names router ${JSON.stringify(issued.router)}`);
    if (message.kind === 'approval') {
      const seen = message.challenge.observed;
      if (seen.attemptCount !== issued.observed?.attemptCount || seen.at !== issued.observed?.at) {
        refuse(
          'wrong-challenge',
          `the approval quotes challenge ${issued.challengeId} with another observation than the agent's`,
        );
      }
    }
  }

  /** Closes a challenge (its operation ended some other way, or it was superseded). */
  async close(challengeId: string): Promise<void> {
    this.#open.delete(challengeId);
    await this.nonces.discard(challengeId);
  }
}
