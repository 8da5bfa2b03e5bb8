import type { DeviceModeState } from '../../routeros/device-mode.js';
import type { Approval, Challenge } from '../../trust/messages.js';
import type { Accepted } from '../../trust/verify.js';
import { actionDurationMs, checkAttemptCount, checkTimeLeft, expectedAfter } from '../decisions.js';
import { deadlineIn } from '../../time/deadline.js';
import { monotonicNowMs } from '../../time/monotonic.js';
import { Operation } from '../operation.js';
import { timingOf, type RouterContext } from '../router-context.js';
import { actuateAndVerify } from './actuate-and-verify.js';
import { readDeviceModeBeforeActing } from '../read-back.js';
import { RouterTimeoutError } from '../../routeros/errors.js';

/** Approvals for the open challenge reach the flow through this. */
export class ApprovalWaiter {
  #resolve: ((accepted: { approval: Accepted<Approval>; digest: string } | undefined) => void) | undefined;
  readonly result: Promise<{ approval: Accepted<Approval>; digest: string } | undefined>;

  constructor(
    readonly challenge: Challenge,
    readonly operationId: string,
  ) {
    this.result = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Still waiting: no approval taken, not closed. */
  get open(): boolean {
    return this.#resolve !== undefined;
  }

  /** False when the waiter already has an approval or was closed. */
  accept(approval: Accepted<Approval>, digest: string): boolean {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.({ approval, digest });
    return resolve !== undefined;
  }

  close(): void {
    this.#resolve?.(undefined);
    this.#resolve = undefined;
  }
}

export interface ObservedPending {
  /** What attempt-count shows now, or (stalled) what it must show with one more request. */
  attemptCount: number;
  /** Reads stalled instead of showing attempt-count: RouterOS versions that stall other sessions while a change is pending. */
  stalled?: boolean;
  previousAttemptCount: number;
  before: DeviceModeState | undefined;
  /** Still pending after a restart cancelled the unacted operation that saw it. */
  afterRestart?: boolean;
  /** Time left to confirm it when known (a journaled deadline); otherwise observedActivationTimeoutSeconds. */
  timeoutMs?: number;
}

/**
 * Someone else (WinBox, a management system) requested a change: attempt-count rose with
 * no request of ours. Publish a challenge; act only on an approval that quotes it, states
 * the expected device-mode, and arrives while the change can still be confirmed in time.
 */
export async function runObservedPending(
  ctx: RouterContext,
  observed: ObservedPending,
  register: (waiter: ApprovalWaiter | undefined) => void,
): Promise<void> {
  const observedMono = monotonicNowMs();
  const observedAt = ctx.services.now();
  const timeoutMs = observed.timeoutMs ?? ctx.config.observedActivationTimeoutSeconds * 1000;
  const deadline = deadlineIn(timeoutMs, observedAt, undefined, observedMono);
  const op = await Operation.begin(
    ctx.services,
    { router: ctx.name, kind: 'observed', attemptCountBefore: observed.previousAttemptCount, deadline },
    'pending-observed',
    observed.afterRestart
      ? `a change is still pending after the agent restarted (attempt-count ${observed.previousAttemptCount} → ${observed.attemptCount}); the approval it had is spent: a new one is needed`
      : observed.stalled
      ? `reads stall with no request of ours: presumably a change is pending (attempt-count ${observed.previousAttemptCount} → ${observed.attemptCount})`
      : `attempt-count rose ${observed.previousAttemptCount} → ${observed.attemptCount} with no request of ours`,
  );
  await ctx.alarm({ code: 'attempt-count-rose', message: `someone requested a device-mode change (attempt-count ${observed.attemptCount}); waiting for approval`, operationId: op.record.id });
  if (!observed.before) {
    await op.to('failed', 'device-mode before the change is unknown; cannot verify, so will not act', { code: 'no-baseline', message: 'no baseline' });
    return;
  }
  const challenge = await ctx.gate.issueChallenge(ctx.identity, { attemptCount: observed.attemptCount, at: observedAt.toISOString() });
  const waiter = new ApprovalWaiter(challenge, op.record.id);
  register(waiter);
  try {
    const expiresAt = new Date(observedAt.getTime() + timeoutMs).toISOString();
    ctx.publisher.challenge(
      // Someone else chose the activation timeout: the router may end the change earlier, and says nothing.
      {
        router: ctx.name,
        operationId: op.record.id,
        challenge,
        expiresAt,
        endAssumed: observed.timeoutMs === undefined,
        methods: ctx.config.methods,
      },
      Math.max(1, Math.floor(timeoutMs / 1000)),
    );
    const published = `challenge ${challenge.challengeId} published; approvals must quote it`;
    await op.to('challenged', published, undefined, { challengeId: challenge.challengeId });
    const minAction = Math.min(...ctx.config.methods.map((m) => actionDurationMs(m, timingOf(ctx, m))));
    const waitMs = Math.max(0, observedMono + timeoutMs - ctx.policy.minActionMarginMs - minAction - monotonicNowMs());
    const timer = setTimeout(() => waiter.close(), waitMs);
    const onAbort = () => waiter.close();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const result = await waiter.result;
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    register(undefined);
    if (!result) {
      await op.to(ctx.signal.aborted ? 'cancelled' : 'expired', ctx.signal.aborted ? 'agent stopping' : 'no valid approval in time');
      return;
    }
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
    let current: DeviceModeState | undefined;
    try {
      current = await readDeviceModeBeforeActing(ctx);
    } catch (error) {
      if (!(error instanceof RouterTimeoutError)) {
        await op.to('failed', `router not readable before acting: ${String(error)}`, { code: 'router-unreachable', message: String(error) });
        return;
      }
    }
    if (current) {
      const check = checkAttemptCount(observed.attemptCount, current.attemptCount);
      if (!check.ok) {
        await ctx.alarm({ code: 'attempt-count-changed', type: 'security', severity: 'critical', message: check.detail, operationId: op.record.id });
        await op.to('failed', check.detail, { code: check.reason, message: check.detail });
        return;
      }
    }
    const time = checkTimeLeft(monotonicNowMs(), observedMono + timeoutMs, actionDurationMs(approval.method, timingOf(ctx, approval.method)), ctx.policy.minActionMarginMs);
    if (!time.ok) {
      await op.to('expired', time.detail, { code: 'too-late', message: time.detail });
      return;
    }
    await actuateAndVerify(ctx, op, {
      method: approval.method,
      expected: expectedAfter(observed.before, approval.expect),
      expectAttemptCount: 0,
      before: expectedAfter(observed.before, {}),
    });
  } finally {
    register(undefined);
    ctx.publisher.clearChallenge(ctx.name);
    await ctx.gate.challenges.close(challenge.challengeId);
  }
}

