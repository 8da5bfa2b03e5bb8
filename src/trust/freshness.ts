import type { WallClock } from '../time/wall-clock.js';
import type { NonceStore } from './nonce-store.js';
import { refuse } from './refusal.js';

export const DEFAULT_MAX_AGE_MS = 24 * 3600_000;
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Longest validity a window may give; below the replay store's retention (30 days). */
export const DEFAULT_MAX_WINDOW_MS = 14 * 24 * 3600_000;

export interface FreshnessInput {
  issuedAt: string;
  window?: { notBefore?: string; notAfter?: string };
  challenge?: { challengeId: string; nonce: string };
}

export interface FreshnessOptions {
  clock: WallClock;
  nonceStore?: NonceStore;
  maxAgeMs?: number;
  maxFutureSkewMs?: number;
  maxWindowMs?: number;
  /**
   * A window that has not opened yet makes the order scheduled instead of refused: the
   * caller keeps it and verifies it again when the window opens. Not for a message bound
   * to a challenge (its nonce does not wait that long).
   */
  schedulable?: boolean;
}

/** The clock reading used for one whole verification. */
export interface ClockReading {
  now: number;
  synced: boolean;
}

/**
 * Freshness comes from a challenge nonce, from wall time, or both. Wall-time checks
 * (window, issuedAt age) run only with a synchronized clock; a message with a window, or
 * with no nonce to stand in for its age, is refused while the clock is unsynchronized.
 * The nonce is only checked here; the caller consumes it once everything else passed.
 * Returns when the window opens if it has not yet and options.schedulable allows waiting.
 */
export function checkFreshness(
  message: FreshnessInput,
  options: FreshnessOptions,
  clock: ClockReading,
): number | undefined {
  const { now, synced } = clock;
  if (message.window && !synced) {
    refuse(
      'clock-unsynced',
      'the message has a time window, but this clock is not ' +
        'synchronized (NTP); it cannot tell whether the window is open',
    );
  }
  if (!synced && !message.challenge) {
    refuse(
      'clock-unsynced',
      'the message carries no challenge nonce and this clock is not synchronized, so its age cannot be checked',
    );
  }
  if (synced) {
    const issuedAt = Date.parse(message.issuedAt);
    if (issuedAt - now > (options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS)) {
      refuse('issued-in-future', `issued at ${message.issuedAt}, ahead of this clock (${new Date(now).toISOString()})`);
    }
    // A window may reach past the default age (a maintenance window next week), but
    // never past what the replay memory is sure to remember.
    const { notBefore, notAfter } = message.window ?? {};
    const maxAge = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    const maxWindow = options.maxWindowMs ?? DEFAULT_MAX_WINDOW_MS;
    const end = notAfter
      ? Date.parse(notAfter)
      : Math.max(issuedAt, notBefore ? Date.parse(notBefore) : issuedAt) + maxAge;
    if (end - issuedAt > maxWindow) {
      refuse(
        'window-too-long',
        `valid until ${new Date(end).toISOString()}, more than ` +
          `${Math.round(maxWindow / 86_400_000)} days after it was issued`,
      );
    }
    if (notBefore && now < Date.parse(notBefore)) {
      if (options.schedulable && !message.challenge) return Date.parse(notBefore);
      const why = message.challenge ? '; an order bound to a challenge cannot wait for its window' : '';
      refuse('not-yet-valid', `window opens at ${notBefore} (now ${new Date(now).toISOString()})${why}`);
    }
    if (now > end) {
      refuse(
        'expired',
        notAfter
          ? `window closed at ${notAfter} (now ${new Date(now).toISOString()})`
          : `issued at ${message.issuedAt}, more than ${Math.round(maxAge / 60_000)} min ago`,
      );
    }
  }
  if (message.challenge) {
    if (!options.nonceStore)
      refuse('nonce-stale', 'the message is bound to a challenge, but no challenge is pending here');
    if (!options.nonceStore.isCurrent(message.challenge.challengeId, message.challenge.nonce)) {
      refuse(
        'nonce-stale',
        `challenge ${message.challenge.challengeId}: nonce is not ` +
          `the current one (already used, superseded or never issued)`,
      );
    }
  }
  return undefined;
}
