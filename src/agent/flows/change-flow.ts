import type { DeviceModeState } from '../../routeros/device-mode.js';
import type { Accepted } from '../../trust/verify.js';
import type { ChangeRequest } from '../../trust/messages.js';
import type { UpdatePhase } from '../../routeros/update-request.js';
import { RouterTimeoutError } from '../../routeros/errors.js';
import { actionDurationMs, checkAttemptCount, checkTimeLeft, expectedAfter } from '../decisions.js';
import { deadlineIn } from '../../time/deadline.js';
import { Operation } from '../operation.js';
import type { UpdateSession } from '../ports.js';
import { timingOf, type FlowContext } from '../router-context.js';
import { actuateAndVerify } from './actuate-and-verify.js';
import { readDeviceModeBeforeActing } from '../read-back.js';

/** RouterOS refuses updates after this many unconfirmed attempts. */
export const ATTEMPT_LIMIT = 3;

/** The first phase that says pending, or the outcome if the update ended before that. */
async function untilPendingOrOutcome(update: UpdateSession): Promise<UpdatePhase> {
  for await (const phase of update) {
    if (phase.phase === 'pending') return phase;
    if (['confirmed', 'cancelled', 'rejected', 'failed', 'aborted'].includes(phase.phase)) return phase;
  }
  return { phase: 'failed', reason: 'update tracking ended', mayStillBePending: true };
}

/**
 * A signed change request: dmconfirm issues the update itself on a dedicated connection,
 * checks that attempt-count rose by exactly its own request, and confirms it in time.
 */
export async function runChangeRequest(
  ctx: FlowContext,
  accepted: Accepted<ChangeRequest>,
  digest: string,
  before: DeviceModeState,
): Promise<void> {
  const message = accepted.message;
  const op = await Operation.begin(
    ctx.services,
    {
      router: ctx.name,
      kind: 'change',
      requestId: message.requestId,
      requestDigest: digest,
      changeDigest: message.digest,
      method: message.method,
    },
    'requesting',
    `approved by ${accepted.approverNames.join(', ')}; requesting the update on the router`,
  );
  if (before.flagged && message.change.flagged !== false) {
    await ctx.alarm({
      code: 'router-flagged',
      type: 'security',
      severity: 'critical',
      message: 'router is flagged; only an audited flagged=no change may proceed',
      operationId: op.record.id,
    });
    await op.to('failed', 'router is flagged', { code: 'router-flagged', message: 'router is flagged' });
    return;
  }
  if (before.attemptCount >= ATTEMPT_LIMIT) {
    await ctx.alarm({
      code: 'attempts-exhausted',
      message: `attempt-count is ${before.attemptCount}; a power cycle order resets it`,
      operationId: op.record.id,
    });
    await op.to('failed', 'attempts exhausted', {
      code: 'attempts-exhausted',
      message: `attempt-count ${before.attemptCount}`,
    });
    return;
  }
  const expected = expectedAfter(before, message.change);
  const timeoutMs = message.activationTimeoutSeconds * 1000;
  // The deadline counts from before the update is sent: conservative by the send latency.
  const sentMono = ctx.clock.mono();
  const deadline = deadlineIn(timeoutMs, ctx.clock.wall(), undefined, sentMono);
  await op.note({ attemptCountBefore: before.attemptCount, deadline, expected }, 'update-requested', {
    change: message.change,
    activationTimeoutSeconds: message.activationTimeoutSeconds,
  });
  // Our own update: the supervisor attributes its rise and closes it if the operation fails (own-update.ts).
  const cancel = new AbortController();
  const signal = AbortSignal.any([ctx.signal, cancel.signal]);
  const update = ctx.client.requestUpdate(message.change, message.activationTimeoutSeconds, {
    logger: ctx.logger,
    signal,
  });
  ctx.ownUpdate?.({
    operationId: op.record.id,
    requestId: message.requestId,
    update,
    cancel: () => cancel.abort(),
    attemptCount: before.attemptCount + 1,
    deadlineMono: sentMono + timeoutMs,
    before,
  });
  // The update session ends by itself (reboot or timeout); its outcome is logged, never awaited blindly.
  update.outcome.then(
    (outcome) => ctx.logger.info({ outcome: outcome.phase }, 'update session ended'),
    () => undefined,
  );
  const first = await untilPendingOrOutcome(update);
  if (first.phase !== 'pending') {
    const text = 'message' in first ? first.message : 'reason' in first ? first.reason : first.phase;
    await op.to(first.phase === 'cancelled' ? 'cancelled' : 'failed', `router did not hold the update: ${text}`, {
      code: `update-${first.phase}`,
      message: text,
    });
    return;
  }
  await op.to('pending', `update pending on the router (${first.evidence})`);

  // Right before acting: exactly our own attempt, and still in time.
  try {
    const now = await readDeviceModeBeforeActing(ctx);
    const check = checkAttemptCount(before.attemptCount + 1, now.attemptCount);
    if (!check.ok) {
      await ctx.alarm({
        code: 'attempt-count-changed',
        type: 'security',
        severity: 'critical',
        message: check.detail,
        operationId: op.record.id,
        requestId: message.requestId,
      });
      await op.to('failed', check.detail, { code: check.reason, message: check.detail });
      return;
    }
  } catch (error) {
    // Some RouterOS versions stall other sessions while a change is pending. Our own update
    // still pending is then the evidence: a second update would have cancelled both.
    if (!(error instanceof RouterTimeoutError)) {
      await op.to('failed', `router not readable before acting: ${String(error)}`, {
        code: 'router-unreachable',
        message: String(error),
      });
      return;
    }
  }
  if (update.phases.some((p) => p.phase === 'connection-dropped')) {
    // The update's own session was cut before we acted: whether the router still holds our
    // change is unknown (RouterOS may drop an abandoned update). Fail closed, no action; the
    // answer waits for what the router then shows (requestUpdate follows it after the drop:
    // not handed over, the session watches the reboot itself).
    const outcome = await update.outcome;
    const text = 'message' in outcome ? outcome.message : 'reason' in outcome ? outcome.reason : outcome.phase;
    await op.to(
      outcome.phase === 'cancelled' ? 'cancelled' : 'failed',
      `the update's connection was cut before acting; nothing actuated: ${text}`,
      { code: `update-${outcome.phase}`, message: text },
    );
    return;
  }
  const ended = update.phases.find((p) =>
    ['cancelled', 'rejected', 'failed', 'aborted', 'confirmed'].includes(p.phase),
  );
  if (ended) {
    await op.to(ended.phase === 'cancelled' ? 'cancelled' : 'failed', `update ended before acting (${ended.phase})`, {
      code: `update-${ended.phase}`,
      message: ended.phase,
    });
    return;
  }
  const actionMs = actionDurationMs(message.method, timingOf(ctx, message.method));
  const time = checkTimeLeft(ctx.clock.mono(), sentMono + timeoutMs, actionMs, ctx.policy.minActionMarginMs);
  if (!time.ok) {
    await ctx.alarm({
      code: 'too-late',
      message: time.detail,
      operationId: op.record.id,
      requestId: message.requestId,
      severity: 'warning',
    });
    await op.to('expired', time.detail, { code: 'too-late', message: time.detail });
    return;
  }
  // One watch of the reboot per operation: from the action on, the reboot wait polls for it,
  // and the update session, silent and open, is told what the wait and the read-back saw.
  update.handOver();
  await actuateAndVerify(ctx, op, {
    method: message.method,
    expected,
    expectAttemptCount: 0,
    before: expectedAfter(before, {}),
    onReadBack: (seen) => update.settleBy({ rebooted: seen.rebooted === true, state: seen.state }),
  });
}
