import type { LastRead } from '../mqtt/contract.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import type { RouterTrust } from '../trust/trust-gate.js';
import type { Publisher } from './publisher.js';

/** At most this many order-challenge publications per router per window; more asks are dropped. */
const ASKS_PER_WINDOW = 5;
const WINDOW_MS = 10_000;

/**
 * Challenge on demand for one router: remembers what the agent last read from it and when,
 * and answers an (unsigned) ask by publishing the router's open order challenge, opening one
 * if none is. Never touches the challenge of an observed change.
 */
export class OrderChallengeDesk {
  #last: { state: DeviceModeState; wall: Date; mono: number } | undefined;
  #reachable = false;
  #asks: number[] = [];

  constructor(
    private readonly router: string,
    private readonly deps: { trust: Pick<RouterTrust, 'orderChallenge'>; publisher: Publisher },
  ) {}

  read(state: DeviceModeState, wall: Date): void {
    this.#last = { state, wall, mono: performance.now() };
    this.#reachable = true;
  }

  unreachable(): void {
    this.#reachable = false;
  }

  lastRead(): LastRead | null {
    const last = this.#last;
    if (!last) return null;
    const { mode, features, attemptCount, flagged } = last.state;
    return {
      at: last.wall.toISOString(),
      secondsAgo: Math.floor((performance.now() - last.mono) / 1000),
      mode,
      features,
      attemptCount,
      flagged,
    };
  }

  async offer(clockSynced: boolean): Promise<void> {
    const now = performance.now();
    this.#asks = this.#asks.filter((t) => now - t < WINDOW_MS);
    if (this.#asks.length >= ASKS_PER_WINDOW) return;
    this.#asks.push(now);
    const challenge = await this.deps.trust.orderChallenge();
    this.deps.publisher.orderChallenge({
      router: this.router,
      challenge,
      clockSynced,
      reachable: this.#reachable,
      lastRead: this.lastRead(),
    });
  }
}
