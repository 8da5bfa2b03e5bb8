import type { DeviceModeState } from '../../routeros/device-mode.js';
import { actionDurationMs, checkAttemptCount, checkTimeLeft, expectedAfter } from '../decisions.js';
import { deadlineIn } from '../../time/deadline.js';
import { Operation } from '../operation.js';
import { timingOf, type FlowContext, type ObservedContext } from '../router-context.js';
import { actuateAndVerify } from './actuate-and-verify.js';
import { readDeviceModeBeforeActing, readUptimeBeforeActing } from '../read-back.js';
import type { UptimeBefore } from '../reboot-wait.js';
import type { TakenApproval } from '../approval-desk.js';
import { RouterTimeoutError } from '../../routeros/errors.js';

export interface ObservedPending {
  /** What attempt-count shows now, or (stalled) what it must show with one more request. */
  attemptCount: number;
  /** Reads stalled instead of showing attempt-count: RouterOS versions that stall other sessions while a change is
   * pending. */
  stalled?: boolean;
  previousAttemptCount: number;
  before: DeviceModeState | undefined;
  /** Still pending after a restart cancelled the unacted operation that saw it. */
  afterRestart?: boolean;
  /** Time left to confirm it when known (a journaled deadline); otherwise observedActivationTimeoutSeconds. */
  timeoutMs?: number;
  /** Our own update, left pending by the failed operation named here (own-update.ts): not someone else's. */
  own?: { operationId: string; requestId: string };
}

function described(observed: ObservedPending): string {
  const counts = `attempt-count ${observed.previousAttemptCount} → ${observed.attemptCount}`;
  if (observed.own) {
    return (
      `our own update of failed operation ${observed.own.operationId} ` +
      `(request ${observed.own.requestId}) may still be pending ` +
      `(${counts}); RouterOS is not known to drop it: approve to confirm it, or it ends at its activation timeout`
    );
  }
  if (observed.afterRestart) {
    return (
      `a change is still pending ` +
      `after the agent restarted ` +
      `(${counts}); the approval it had is spent: a new one is needed`
    );
  }
  if (observed.stalled) return `reads stall with no request of ours: presumably a change is pending (${counts})`;
  return `attempt-count rose ${observed.previousAttemptCount} → ${observed.attemptCount} with no request of ours`;
}

async function alarmFor(
  ctx: Pick<FlowContext, 'alarm'>,
  observed: ObservedPending,
  operationId: string,
): Promise<void> {
  if (observed.own) {
    const message =
      `our own update (request ${observed.own.requestId}, failed ` +
      `operation ${observed.own.operationId}) may still be pending ` +
      `on the router (attempt-count ${observed.attemptCount}); challenged until its activation timeout`;
    await ctx.alarm({ code: 'own-update-pending', message, operationId, requestId: observed.own.requestId });
    return;
  }
  const message =
    `someone requested a device-mode ` + `change (attempt-count ` + `${observed.attemptCount}); waiting for approval`;
  await ctx.alarm({ code: 'attempt-count-rose', message, operationId });
}

/**
 * Someone else (WinBox, a management system) requested a change: attempt-count rose with
 * no request of ours. Publish a challenge; act only on an approval that quotes it, states
 * the expected device-mode, and arrives while the change can still be confirmed in time.
 * The approval comes verified through the approval port (inbound → gate → supervisor → here).
 */
export async function runObservedPending(ctx: ObservedContext, observed: ObservedPending): Promise<void> {
  const observedMono = ctx.clock.mono();
  const observedAt = ctx.clock.wall();
  const timeoutMs = observed.timeoutMs ?? ctx.config.observedActivationTimeoutSeconds * 1000;
  const deadline = deadlineIn(timeoutMs, observedAt, undefined, observedMono);
  const op = await Operation.begin(
    ctx.services,
    { router: ctx.name, kind: 'observed', attemptCountBefore: observed.previousAttemptCount, deadline },
    'pending-observed',
    described(observed),
  );
  await alarmFor(ctx, observed, op.record.id);
  if (!observed.before) {
    await op.to('failed', 'device-mode before the change is unknown; cannot verify, so will not act', {
      code: 'no-baseline',
      message: 'no baseline',
    });
    return;
  }
  const challenge = await ctx.approvals.open({ attemptCount: observed.attemptCount, at: observedAt.toISOString() });
  try {
    // From the monotonic clock at publishing: a wall-clock step since the observation changes nothing.
    const expiresInMs = Math.max(0, Math.round(observedMono + timeoutMs - ctx.clock.mono()));
    const expiresAt = new Date(ctx.clock.wall().getTime() + expiresInMs).toISOString();
    ctx.publisher.challenge(
      // Someone else chose the activation timeout: the router may end the change earlier, and says nothing.
      {
        router: ctx.name,
        operationId: op.record.id,
        challenge,
        expiresAt,
        expiresInMs,
        endAssumed: observed.timeoutMs === undefined,
        methods: ctx.config.methods,
      },
      Math.max(1, Math.floor(timeoutMs / 1000)),
    );
    const published = `challenge ${challenge.challengeId} published; approvals must quote it`;
    await op.to('challenged', published, undefined, { challengeId: challenge.challengeId });
    const minAction = Math.min(...ctx.config.methods.map((m) => actionDurationMs(m, timingOf(ctx, m))));
    const taken = await takeApproval(ctx, observedMono + timeoutMs - ctx.policy.minActionMarginMs - minAction);
    if (!taken) {
      await op.to(
        ctx.signal.aborted ? 'cancelled' : 'expired',
        ctx.signal.aborted ? 'agent stopping' : 'no valid approval in time',
      );
      return;
    }
    const { result, reading } = taken;
    const approval = result.approval.message;
    // Journaled with the next state ('actuating', or how it ended before acting), audited
    // after the first edge: the trust ledger already holds the approval as used, and a crash
    // before that write finds its request id there (recovery.ts). See docs/agent.md.
    const { requestId, method, digest: changeDigest } = approval;
    op.remember({ requestId, requestDigest: result.digest, method, changeDigest });
    op.logAfterAction('approval-accepted', { approvers: result.approval.approverNames });
    // Right before acting: attempt-count still shows exactly the change that was approved. A
    // read that times out is tolerated (routers that stall other sessions while a change is
    // pending: the stall is itself the evidence); a cut one is retried, then fails closed.
    if (!reading.deviceMode.ok && !(reading.deviceMode.error instanceof RouterTimeoutError)) {
      const error = reading.deviceMode.error;
      await op.to('failed', `router not readable before acting: ${String(error)}`, {
        code: 'router-unreachable',
        message: String(error),
      });
      return;
    }
    if (reading.deviceMode.ok) {
      const check = checkAttemptCount(observed.attemptCount, reading.deviceMode.state.attemptCount);
      if (!check.ok) {
        await ctx.alarm({
          code: 'attempt-count-changed',
          type: 'security',
          severity: 'critical',
          message: check.detail,
          operationId: op.record.id,
        });
        await op.to('failed', check.detail, { code: check.reason, message: check.detail });
        return;
      }
    }
    const time = checkTimeLeft(
      ctx.clock.mono(),
      observedMono + timeoutMs,
      actionDurationMs(approval.method, timingOf(ctx, approval.method)),
      ctx.policy.minActionMarginMs,
    );
    if (!time.ok) {
      await op.to('expired', time.detail, { code: 'too-late', message: time.detail });
      return;
    }
    await actuateAndVerify(ctx, op, {
      method: approval.method,
      expected: expectedAfter(observed.before, approval.expect),
      expectAttemptCount: 0,
      before: expectedAfter(observed.before, {}),
      uptimeBefore: { reading: reading.uptime },
    });
  } finally {
    ctx.publisher.clearChallenge(ctx.name);
    await ctx.approvals.close();
  }
}

/** The router right before acting: device-mode (or why not) and uptime, read at once. */
interface BeforeActing {
  deviceMode: { ok: true; state: DeviceModeState } | { ok: false; error: unknown };
  uptime: UptimeBefore | undefined;
}

async function readBeforeActing(ctx: ObservedContext): Promise<BeforeActing> {
  const [deviceMode, uptime] = await Promise.all([
    readDeviceModeBeforeActing(ctx).then(
      (state) => ({ ok: true as const, state }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    readUptimeBeforeActing(ctx),
  ]);
  return { deviceMode, uptime };
}

/**
 * The first approval that is taken and recorded as used before `until` (monotonic), with
 * the router read meanwhile: the read and the durable record of the approval overlap, and
 * both are done before anything acts. An approval whose record fails is not acted on; the
 * challenge takes the next one. Undefined when none came in time or the agent stops.
 */
async function takeApproval(
  ctx: ObservedContext,
  until: number,
): Promise<{ result: TakenApproval; reading: BeforeActing } | undefined> {
  for (;;) {
    const result = await ctx.approvals.next(Math.max(0, until - ctx.clock.mono()), ctx.signal);
    if (!result) return undefined;
    const reading = readBeforeActing(ctx);
    if (await result.recorded) return { result, reading: await reading };
    await reading;
  }
}
