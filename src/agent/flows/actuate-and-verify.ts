import type { ActionReport } from '../../actuators/index.js';
import { compareDeviceMode, type ExpectedDeviceMode } from '../decisions.js';
import { deadlineIn } from '../journal.js';
import type { Operation } from '../operation.js';
import { waitForReboot } from '../reboot-wait.js';
import type { RouterContext } from '../router-context.js';

export interface ActuationPlan {
  method: 'button' | 'power';
  /** The device-mode the router must come back with; undefined: nothing to compare (hung router). */
  expected: ExpectedDeviceMode | undefined;
  /** Expected attempt-count after the reboot (0 after a confirmed change or a power cycle). */
  expectAttemptCount?: number;
  /** The device-mode before the action: coming back exactly so means nothing was confirmed. */
  before?: ExpectedDeviceMode | undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The common tail of every operation: act once, wait for the router to come back, and read
 * its device-mode back. A difference is a security alarm (we may have confirmed someone
 * else's change), never a retry.
 */
export async function actuateAndVerify(ctx: RouterContext, op: Operation, plan: ActuationPlan): Promise<void> {
  const actuator = plan.method === 'button' ? ctx.actuators.button : ctx.actuators.power;
  if (!actuator) {
    await op.to('failed', `no ${plan.method} actuator configured`, { code: 'policy-refused', message: `no ${plan.method} actuator` });
    return;
  }
  let uptimeBefore: { seconds: number; atMonoMs: number } | undefined;
  try {
    const resource = await ctx.client.readResource({ timeoutMs: 2000 });
    uptimeBefore = { seconds: resource.uptimeSeconds, atMonoMs: performance.now() };
  } catch {
    // A stalled or hung router: the reboot is then judged by the router coming back at all.
  }
  // Journal "engaged" before the first edge: a crash from here on means release and verify.
  // engagedAt lets a restarted agent tell whether the router rebooted after this moment.
  await op.note({ actuatorEngaged: true, expected: plan.expected, expectAttemptCount: plan.expectAttemptCount, before: plan.before, engagedAt: deadlineIn(0, ctx.services.now()) });
  await op.to('actuating', `${plan.method === 'button' ? 'pressing the button' : 'cutting the power'} via ${actuator.kind}`);
  let report: ActionReport;
  try {
    report = plan.method === 'button' ? await actuator.press() : await actuator.powerCycle();
  } catch (error) {
    await op.note({ actuatorEngaged: false });
    await ctx.alarm({ code: 'actuator-failed', message: `${actuator.kind}: ${errorText(error)}`, operationId: op.record.id, severity: 'critical' });
    await op.to('failed', `actuator failed: ${errorText(error)}`, { code: 'actuator-failed', message: errorText(error) });
    return;
  }
  await op.note({ actuatorEngaged: false }, 'actuation', { report });
  await op.to('rebooting', `${report.action} done (${report.effectiveMs} ms); waiting for the router`);
  const back = await waitForReboot(ctx.client, {
    ...(uptimeBefore ? { uptimeBefore } : {}),
    timeoutMs: ctx.config.bootTimeoutMs,
    signal: ctx.signal,
  });
  if (!back.back) {
    await ctx.alarm({ code: 'router-not-back', message: `router not back after ${Math.round(back.waitedMs / 1000)} s: ${back.lastError}`, operationId: op.record.id, severity: 'critical' });
    await op.to('failed', 'router did not come back', { code: 'router-not-back', message: back.lastError });
    return;
  }
  await op.to('verifying', back.rebooted ? 'router rebooted; reading device-mode back' : 'router answers; reading device-mode back');
  await verify(ctx, op, plan, back.rebooted);
}

/** Reads device-mode back and compares; used by the tail and by crash recovery. */
export async function verify(ctx: RouterContext, op: Operation, plan: Pick<ActuationPlan, 'expected' | 'expectAttemptCount' | 'before'>, rebooted: boolean | undefined): Promise<void> {
  let state;
  try {
    state = await ctx.client.readDeviceMode({ timeoutMs: 5000 });
  } catch (error) {
    await op.to('failed', `could not read device-mode back: ${errorText(error)}`, { code: 'router-not-back', message: errorText(error) });
    return;
  }
  if (rebooted === false) {
    // Uptime kept counting: the relay, outlet or port did not reach the router (wiring?).
    // Device-mode only changes at a boot, so what differs is the unconfirmed change: no alarm.
    const text = `uptime kept counting; mode ${state.mode}, attempt-count ${state.attemptCount}`;
    await op.to('failed', `router did not reboot: the action did not reach it (${text})`, { code: 'not-confirmed', message: text });
    return;
  }
  const differences = plan.expected ? compareDeviceMode(plan.expected, state) : [];
  if (plan.expectAttemptCount !== undefined && state.attemptCount !== plan.expectAttemptCount) {
    differences.push({ field: 'attempt-count', expected: String(plan.expectAttemptCount), actual: String(state.attemptCount) });
  }
  if (differences.length > 0 && plan.before && compareDeviceMode(plan.before, state).length === 0) {
    // Back exactly as before: nothing was confirmed (a power blip too short for a cold boot,
    // or a restart that released the power early). Not someone else's change: no alarm.
    const text = `device-mode unchanged (mode ${state.mode}), attempt-count ${state.attemptCount}`;
    await op.to('failed', `the action did not confirm the change: ${text}`, { code: 'not-confirmed', message: text });
    return;
  }
  if (differences.length > 0) {
    const text = differences.map((d) => `${d.field}: expected ${String(d.expected)}, got ${String(d.actual)}`).join('; ');
    await ctx.alarm({ code: 'device-mode-mismatch', type: 'security', severity: 'critical', message: `router came back different from what was approved: ${text}`, operationId: op.record.id, data: { differences } });
    await op.to('failed', `device-mode differs from the approval: ${text}`, { code: 'device-mode-mismatch', message: text });
    return;
  }
  await op.to('done', plan.expected ? `verified: mode ${state.mode}, attempt-count ${state.attemptCount}` : 'router is back');
}
