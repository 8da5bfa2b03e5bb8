import type { ScheduledMessage } from '../../mqtt/contract.js';
import type { DeviceModeState } from '../../routeros/device-mode.js';
import { DEFAULT_MAX_AGE_MS } from '../../trust/freshness.js';
import type { Window } from '../../trust/messages.js';
import type { RouterBinding } from '../../trust/verify.js';
import type { RouterExpectation, ScheduledOrder } from './schedule-book.js';

/** When a scheduled order stops being valid: its notAfter, or the default age past its start (as checkFreshness
 * counts). */
export function closesAt(message: { issuedAt: string; window?: Window }): number {
  const { notBefore, notAfter } = message.window ?? {};
  if (notAfter) return Date.parse(notAfter);
  const issuedAt = Date.parse(message.issuedAt);
  return Math.max(issuedAt, notBefore ? Date.parse(notBefore) : issuedAt) + DEFAULT_MAX_AGE_MS;
}

/** What the router shows now, as the window opening must find it again. */
export function expectationOf(
  identity: Pick<RouterBinding, 'serial' | 'systemId'>,
  state: DeviceModeState,
): RouterExpectation {
  return {
    ...(identity.serial === undefined ? {} : { serial: identity.serial }),
    ...(identity.systemId === undefined ? {} : { systemId: identity.systemId }),
    mode: state.mode,
    features: { ...state.features },
    flagged: state.flagged,
    attemptCount: state.attemptCount,
  };
}

/**
 * How the router differs from when the order was scheduled, or undefined when it matches:
 * another unit, a device-mode changed meanwhile, or attempt-count moved (someone requested
 * a change, or a reboot reset it): approvers judged the router as it was, not as it is.
 */
export function routerDrift(expected: RouterExpectation, now: RouterExpectation): string | undefined {
  if (expected.serial !== now.serial || expected.systemId !== now.systemId) {
    return (
      `the paired unit is ${now.serial ?? now.systemId ?? 'unknown'}, the order ` +
      `was scheduled for ${expected.serial ?? expected.systemId ?? 'unknown'}`
    );
  }
  if (now.attemptCount !== expected.attemptCount)
    return `attempt-count is ${now.attemptCount}, it was ${expected.attemptCount} when the order was scheduled`;
  if (now.mode !== expected.mode)
    return `device-mode is ${now.mode}, it was ${expected.mode} when the order was scheduled`;
  if (now.flagged !== expected.flagged)
    return (
      `flagged is ${now.flagged ? 'yes' : 'no'}, it was ` +
      `${expected.flagged ? 'yes' : 'no'} when the order was scheduled`
    );
  const changed = Object.keys({ ...expected.features, ...now.features }).filter(
    (f) => expected.features[f] !== now.features[f],
  );
  if (changed.length > 0) return `device-mode features ${changed.join(', ')} changed since the order was scheduled`;
  return undefined;
}

/** The retained list: waiting orders only, soonest first. */
export function publishedList(waiting: readonly ScheduledOrder[]): ScheduledMessage['orders'] {
  const iso = (ms: number) => new Date(ms).toISOString();
  return waiting.map((o) => ({
    requestId: o.requestId,
    router: o.router,
    kind: o.kind,
    opensAt: iso(o.opensAt),
    closesAt: iso(o.closesAt),
    scheduledAt: iso(o.scheduledAt),
    ...(o.urgent ? { urgent: true } : {}),
  }));
}
