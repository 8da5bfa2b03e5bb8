import { monotonicRemainingMs } from '../time/deadline.js';
import type { OperationRecord } from './journal.js';
import { Operation } from './operation.js';
import type { FlowContext } from './router-context.js';
import type { RouterTrust } from '../trust/trust-gate.js';
import type { ObservedPending } from './flows/observed-flow.js';
import { verify } from './flows/actuate-and-verify.js';
import { waitForReboot } from './reboot-wait.js';

/**
 * After a crash or restart, a journaled operation is finished without acting again: the
 * actuators were already forced released by start-up. If we may have acted, wait for the
 * router and verify; if we had not acted yet, the approval's moment is gone (its nonce was
 * consumed, its deadline measured by a process that no longer exists): cancel. A change
 * still pending on the router then is returned, to be challenged afresh.
 */
export async function recoverOperation(
  ctx: FlowContext & { trust?: Pick<RouterTrust, 'acceptedFor'> },
  journaled: OperationRecord,
): Promise<ObservedPending | undefined> {
  const record = withApproval(ctx, journaled);
  const op = Operation.resume(ctx.services, record);
  if (op.final) {
    await ctx.services.journal.clear(ctx.name);
    return;
  }
  const acted = record.actuatorEngaged || ['actuating', 'rebooting', 'verifying'].includes(record.state);
  // An action that may have happened is waited for and verified, whatever the disk does.
  if (acted) op.mustFinish();
  // Everything the journal knows: audit entries that were to follow the first edge (the
  // approval, 'actuating') may not have reached the disk before the crash.
  const { state, actuatorEngaged, requestId, requestDigest, method, history } = record;
  await op.log('recovery', { state, actuatorEngaged, requestId, requestDigest, method, history });
  if (!acted) {
    if (record.kind === 'observed') ctx.publisher.clearChallenge(ctx.name);
    await op.to('cancelled', 'agent restarted before acting; nothing was actuated');
    return stillPending(ctx, record);
  }
  if (['idle', 'pending', 'challenged', 'actuating'].includes(op.state)) {
    if (op.state !== 'actuating') await op.to('actuating', 'agent restarted while engaging the actuator');
    await op.note({ actuatorEngaged: false });
    await op.to('rebooting', 'agent restarted mid-action; actuator released at start-up; waiting for the router');
  }
  // When the action began in this boot of the host, the router's uptime tells whether it
  // rebooted since: a crash between journaling and the first edge is "not confirmed", not
  // a device-mode mismatch. Otherwise whether it rebooted is unknown and the read-back decides.
  const engagedMono = engagedMonotonicMs(record, ctx.clock.mono());
  let rebooted: boolean | undefined;
  if (op.state === 'rebooting') {
    const back = await waitForReboot(ctx.client, {
      timeoutMs: ctx.config.bootTimeoutMs,
      signal: ctx.signal,
      now: () => ctx.clock.mono(),
      sleep: (ms) => ctx.clock.sleep(ms, ctx.signal),
      ...(engagedMono === undefined ? {} : { uptimeBefore: { seconds: 0, atMonoMs: engagedMono } }),
    });
    if (!back.back) {
      await ctx.alarm({
        code: 'router-not-back',
        severity: 'critical',
        message: `router not back after restart recovery: ${back.lastError}`,
        operationId: record.id,
      });
      await op.to('failed', 'router did not come back', { code: 'router-not-back', message: back.lastError });
      return;
    }
    if (engagedMono !== undefined) rebooted = back.rebooted;
    await op.to('verifying', 'router answers after agent restart; reading device-mode back');
  }
  const { expected, before, expectAttemptCount } = record;
  await verify(
    ctx,
    op,
    { expected, before, ...(expectAttemptCount === undefined ? {} : { expectAttemptCount }) },
    rebooted,
  );
}

/**
 * An observed operation is journaled with its approval only in the 'actuating' record. A
 * crash between the approval's commit (the trust ledger) and that write leaves the record
 * without it; the ledger names the approval that used the operation's challenge, so the
 * approver still gets the final answer ('cancelled').
 */
function withApproval(ctx: { trust?: Pick<RouterTrust, 'acceptedFor'> }, record: OperationRecord): OperationRecord {
  if (record.requestId !== undefined || record.challengeId === undefined) return record;
  const requestId = ctx.trust?.acceptedFor(record.challengeId);
  return requestId === undefined ? record : { ...record, requestId };
}

/** CLOCK_MONOTONIC ms when the actuator was engaged, if journaled in this boot of the host. */
function engagedMonotonicMs({ engagedAt }: OperationRecord, monoNow: number): number | undefined {
  if (engagedAt?.monotonicMs === undefined) return undefined;
  return monotonicRemainingMs(engagedAt, undefined, monoNow) === undefined ? undefined : engagedAt.monotonicMs;
}

/**
 * The change an unacted operation saw (our own update, or someone else's) may still wait on
 * the router: nothing can withdraw it before its activation timeout, and its approval was
 * spent with the process that held it. Handled as an observed change, it gets a new
 * challenge, so it can still be approved, instead of waiting unseen (the watcher starts
 * from the raised attempt-count and would never see it rise).
 */
async function stillPending(ctx: FlowContext, record: OperationRecord): Promise<ObservedPending | undefined> {
  if (record.attemptCountBefore === undefined) return undefined;
  const { deadline } = record;
  const wall = deadline?.wall ? Date.parse(deadline.wall) - ctx.clock.wall().getTime() : undefined;
  const remainingMs = (deadline ? monotonicRemainingMs(deadline, undefined, ctx.clock.mono()) : undefined) ?? wall;
  if (remainingMs !== undefined && remainingMs <= 0) return undefined;
  const now = await ctx.client.readDeviceMode({ timeoutMs: 5000 }).catch(() => undefined);
  if (!now || now.attemptCount <= record.attemptCountBefore) return undefined;
  return {
    attemptCount: now.attemptCount,
    previousAttemptCount: record.attemptCountBefore,
    before: now,
    afterRestart: true,
    ...(remainingMs === undefined ? {} : { timeoutMs: remainingMs }),
  };
}
