import type { ReasonCode } from '../../mqtt/contract.js';
import type { DeviceModeState } from '../../routeros/device-mode.js';
import type { ChangeRequest, PowerCycle } from '../../trust/messages.js';
import type { Accepted } from '../../trust/verify.js';
import { TrustError } from '../../trust/refusal.js';
import { expectedAfter, type ExpectedDeviceMode } from '../decisions.js';
import type { FlowContext } from '../router-context.js';
import type { Verified } from '../verified-baseline.js';

/** What an order needs before it starts, or why it is refused with nothing used. */
export type Prepared<P> = { ok: true; value: P } | { ok: false; code: ReasonCode; message: string };

/** An actuator still retrying a failed release (a device unplugged) cannot act. */
export function actuatorFree(ctx: Pick<FlowContext, 'actuators'>, method: 'button' | 'power'): Prepared<undefined> {
  const actuator = method === 'button' ? ctx.actuators.button : ctx.actuators.power;
  if (!actuator?.busy) return { ok: true, value: undefined };
  const message =
    `the ${method} actuator (${actuator.kind}) is busy: still restoring its ` +
    `released state after a failure; nothing was done, send the order again later`;
  return { ok: false, code: 'actuator-busy', message };
}

/** A change request: its actuator free and the router readable (the baseline), before anything is recorded. */
export async function beforeChange(ctx: FlowContext, message: ChangeRequest): Promise<Prepared<DeviceModeState>> {
  const free = actuatorFree(ctx, message.method);
  if (!free.ok) return free;
  try {
    return { ok: true, value: await ctx.client.readDeviceMode({ timeoutMs: 5000 }) };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      code: 'router-unreachable',
      message: `router not readable: ${text}; nothing was done, send the order again once it answers`,
    };
  }
}

/**
 * Records the order's nonce, request id and rate budget as used: the operation really
 * starts now. A race lost meanwhile (the same id or nonce used by another order) refuses;
 * a StateWriteError propagates (the stores changed nothing).
 */
export async function commitOrder(accepted: Pick<Accepted<ChangeRequest>, 'commit'>): Promise<Prepared<undefined>> {
  try {
    await accepted.commit();
    return { ok: true, value: undefined };
  } catch (error) {
    if (!(error instanceof TrustError)) throw error;
    return { ok: false, code: error.reason, message: error.detail };
  }
}

/** What a power cycle may bring back, and from what it starts. */
export interface PowerCyclePlan {
  /** Read right before (undefined: the router does not answer; the order said hung). */
  now: DeviceModeState | undefined;
  lastVerified: Verified | undefined;
  /** What the router must come back with: the last verified device-mode, changed by acceptPending. */
  expected: ExpectedDeviceMode;
}

/**
 * A power cycle cannot smuggle a change: a cold boot confirms whatever is pending. If the
 * router answers, attempt-count must not have risen since the last verified reading, unless
 * the order accepts a pending change with its expected result. If it does not answer, the
 * order must say `hung`. Without a verified baseline (or a reading) nothing can be checked.
 */
export async function beforePowerCycle(
  ctx: FlowContext,
  message: PowerCycle,
  lastVerified: Verified | undefined,
): Promise<Prepared<PowerCyclePlan>> {
  const free = actuatorFree(ctx, 'power');
  if (!free.ok) return free;
  const now = await ctx.client.readDeviceMode({ timeoutMs: 3000 }).catch(() => undefined);
  const accepts = message.acceptPending !== undefined;
  const pending = message.acceptPending?.expect;
  const seen = lastVerified
    ? `last verified ${lastVerified.at}: mode ${lastVerified.deviceMode.mode}, ` +
      `attempt-count ${lastVerified.deviceMode.attemptCount}`
    : 'no verified reading';
  if (!now && message.reason !== 'hung') {
    return {
      ok: false,
      code: 'router-unreachable',
      message:
        `the router does not answer; a ` +
        `power cycle of a router that does ` +
        `not answer must say reason "hung" (${seen}); nothing was done`,
    };
  }
  const base = lastVerified?.deviceMode ?? (accepts ? now : undefined);
  if (!base) {
    return {
      ok: false,
      code: 'no-baseline',
      message:
        'the agent has no verified device-mode of this router to expect after the ' +
        'boot; the order must accept the device-mode explicitly (acceptPending)',
    };
  }
  const rose = now !== undefined && now.attemptCount > (lastVerified?.deviceMode.attemptCount ?? 0);
  if (rose && !accepts) {
    const text =
      `attempt-count is ${now.attemptCount} (${seen}): a change is pending and the power cut would ` +
      `confirm it; refused unless the order accepts the pending change with its expected result`;
    return { ok: false, code: 'pending-change', message: text };
  }
  return { ok: true, value: { now, lastVerified, expected: expectedAfter(base, pending ?? {}) } };
}
