import type { PowerCycle } from '../../trust/messages.js';
import type { Accepted } from '../../trust/verify.js';
import { Operation } from '../operation.js';
import type { FlowContext } from '../router-context.js';
import { actuateAndVerify } from './actuate-and-verify.js';

/**
 * An approved plain power cycle (a hung router, or resetting an exhausted attempt-count).
 * A power cut confirms whatever change is pending, and nothing shows what that is: so the
 * router must come back with exactly the device-mode it had, or the alarm goes off.
 */
export async function runPowerCycle(ctx: FlowContext, accepted: Accepted<PowerCycle>, digest: string): Promise<void> {
  const message = accepted.message;
  const before = (await ctx.client.readDeviceMode({ timeoutMs: 3000 }).catch(() => undefined)) ?? ctx.lastState();
  const op = await Operation.begin(ctx.services, {
    router: ctx.name,
    kind: 'powercycle',
    requestId: message.requestId,
    requestDigest: digest,
    method: 'power',
    ...(before ? { attemptCountBefore: before.attemptCount } : {}),
  });
  if (before && before.attemptCount > 0 && message.reason !== 'reset-attempt-count') {
    ctx.logger.warn({ attemptCount: before.attemptCount }, 'power cycle with unconfirmed attempts: a pending change would be confirmed');
  }
  const unchanged = before ? { mode: before.mode, features: before.features, flagged: before.flagged } : undefined;
  await actuateAndVerify(ctx, op, { method: 'power', expected: unchanged, expectAttemptCount: 0, before: unchanged });
}
