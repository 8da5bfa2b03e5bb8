import {
  ActuatorError,
  ActuatorUnavailableError,
  RestoreFailedError,
  type ActionEdge,
  type ActionReport,
} from '../../actuators/index.js';
import type { DeviceModeState } from '../../routeros/device-mode.js';
import { compareDeviceMode, type ExpectedDeviceMode } from '../decisions.js';
import { deadlineIn } from '../../time/deadline.js';
import type { Operation } from '../operation.js';
import type { ActuatorPort } from '../ports.js';
import { readDeviceModeBack, readUptimeBeforeActing } from '../read-back.js';
import { waitForReboot, type UptimeBefore } from '../reboot-wait.js';
import type { FlowContext } from '../router-context.js';

export interface ActuationPlan {
  method: 'button' | 'power';
  /** The device-mode the router must come back with; undefined: nothing to compare (hung router). */
  expected: ExpectedDeviceMode | undefined;
  /** Expected attempt-count after the reboot (0 after a confirmed change or a power cycle). */
  expectAttemptCount?: number;
  /** The device-mode before the action: coming back exactly so means nothing was confirmed. */
  before?: ExpectedDeviceMode | undefined;
  /** Told after the mismatch alarm what came back instead (a power cycle publishes a revert). */
  onMismatch?: ((back: DeviceModeState) => Promise<void>) | undefined;
  /** The uptime read right before acting, when the flow read it already (with device-mode, at once). */
  uptimeBefore?: { reading: UptimeBefore | undefined };
  /** Told what the reboot wait and the read-back saw (a change request's update session settles by it). */
  onReadBack?: ((seen: { rebooted: boolean | undefined; state: DeviceModeState | undefined }) => void) | undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The common tail of every operation: act once, wait for the router to come back, and read
 * its device-mode back. A difference is a security alarm (we may have confirmed someone
 * else's change), never a retry.
 */
export async function actuateAndVerify(ctx: FlowContext, op: Operation, plan: ActuationPlan): Promise<void> {
  const actuator = plan.method === 'button' ? ctx.actuators.button : ctx.actuators.power;
  if (!actuator) {
    await op.to('failed', `no ${plan.method} actuator configured`, {
      code: 'policy-refused',
      message: `no ${plan.method} actuator`,
    });
    return;
  }
  const uptimeBefore = plan.uptimeBefore ? plan.uptimeBefore.reading : await readUptimeBeforeActing(ctx);
  // Journal "engaged" with 'actuating', in one write, before the first edge: the one durable
  // write an action needs (docs/agent.md, durable writes); a crash from here on means release
  // and verify. engagedAt lets a restarted agent tell whether the router rebooted after this moment.
  const engaged = {
    actuatorEngaged: true,
    expected: plan.expected,
    expectAttemptCount: plan.expectAttemptCount,
    before: plan.before,
    engagedAt: deadlineIn(0, ctx.clock.wall(), undefined, ctx.clock.mono()),
  };
  const doing = plan.method === 'button' ? 'pressing the button' : 'cutting the power';
  await op.to('actuating', `${doing} via ${actuator.kind}`, undefined, engaged);
  let report: ActionReport;
  let detail: string;
  const edges: ActionEdge[] = [];
  const actedAtMonoMs = ctx.clock.mono();
  // The audit entries of the approval and of 'actuating' are appended once the first edge is
  // out (or the action ended without one), not before: a failure to append is reported, not
  // thrown, once 'actuating' is recorded; a bug is rethrown below.
  let audited: Promise<void> | undefined;
  const audit = (): Promise<void> => {
    audited ??= op.flushAudit();
    audited.catch(() => undefined);
    return audited;
  };
  const options = {
    onEdge: (edge: ActionEdge) => {
      edges.push(edge);
      void audit();
    },
  };
  const acting = (async () =>
    plan.method === 'button' ? actuator.press(undefined, options) : actuator.powerCycle(undefined, options))();
  await acting.then(audit, audit);
  try {
    report = await acting;
    detail = `${report.action} done (${report.effectiveMs} ms)`;
  } catch (error) {
    const outcome = await actuatorFailed(ctx, op, plan, actuator, edges, error, actedAtMonoMs);
    if (outcome === 'ended') return;
    ({ report, detail } = outcome);
  }
  await op.note({ actuatorEngaged: false }, 'actuation', { report });
  await op.to('rebooting', `${detail}; waiting for the router`);
  const back = await waitForReboot(ctx.client, {
    uptimeBefore: uptimeBefore ?? { seconds: 0, atMonoMs: actedAtMonoMs },
    timeoutMs: ctx.config.bootTimeoutMs,
    signal: ctx.signal,
    now: () => ctx.clock.mono(),
    sleep: (ms) => ctx.clock.sleep(ms, ctx.signal),
  });
  if (!back.back) {
    await ctx.alarm({
      code: 'router-not-back',
      message: `router not back after ${Math.round(back.waitedMs / 1000)} s: ${back.lastError}`,
      operationId: op.record.id,
      severity: 'critical',
    });
    await op.to('failed', 'router did not come back', { code: 'router-not-back', message: back.lastError });
    return;
  }
  await op.to(
    'verifying',
    back.rebooted ? 'router rebooted; reading device-mode back' : 'router answers; reading device-mode back',
  );
  await verify(ctx, op, plan, back.rebooted);
}

/**
 * The action threw. Before its first edge nothing reached the router: fail closed (code
 * `actuator-unavailable` when the device is gone, e.g. an unplugged serial adapter). After
 * it, the router was cut or the button went down, and only the release failed (a device
 * unplugged mid-pulse): the driver keeps retrying in the background. The router may now be
 * changing, so a final answer waits for what really happened: for a power cut, the power
 * restored (the router cannot come back before), then the usual reboot wait and read-back;
 * for a press, the read-back straight away (the press reached the router; a relay board
 * that lost its USB power drops its relay, and one still held shows in the boot).
 * Returns the report to continue with, or 'ended' when the operation ended (or must be
 * left to crash recovery because the agent is stopping).
 */
async function actuatorFailed(
  ctx: FlowContext,
  op: Operation,
  plan: ActuationPlan,
  actuator: ActuatorPort,
  edges: ActionEdge[],
  error: unknown,
  actedAtMonoMs: number,
): Promise<{ report: ActionReport; detail: string } | 'ended'> {
  const cause = error instanceof RestoreFailedError && error.cause !== undefined ? error.cause : error;
  // Only a driver that wrote nothing can say nothing was switched. An engage step that failed
  // after writing (the device vanished before it answered) may well have cut or pressed.
  if (edges.length === 0 && cause instanceof ActuatorError && cause.nothingSent === true) {
    const unavailable = cause instanceof ActuatorUnavailableError;
    const text = `${errorText(cause)}; nothing was switched`;
    await op.note({ actuatorEngaged: false });
    await ctx.alarm({
      code: 'actuator-failed',
      message: `${actuator.kind}: ${text}`,
      operationId: op.record.id,
      severity: 'critical',
    });
    await op.to('failed', `actuator failed before acting: ${text}`, {
      code: unavailable ? 'actuator-unavailable' : 'actuator-failed',
      message: text,
    });
    return 'ended';
  }
  const first = edges[0];
  const releaseFailed = error instanceof RestoreFailedError;
  const what = releaseFailed
    ? `${plan.method === 'power' ? 'restoring power' : 'releasing the button'} FAILED`
    : 'released';
  const after = first
    ? `after the ${first.edge} edge`
    : `after a ${plan.method === 'power' ? 'cut' : 'press'} that ` +
      `may have reached the device (it failed before answering)`;
  await ctx.alarm({
    code: 'actuator-failed',
    severity: 'critical',
    message:
      `${actuator.kind}: ${what} ${after} (${errorText(error)}); ` +
      `${releaseFailed ? 'retrying until ' + 'the device answers' : 'the read-back decides'}`,
    operationId: op.record.id,
  });
  await op.note({}, 'actuation-release-failed', { edges, error: errorText(error) });
  if (plan.method === 'power') {
    const restored = await untilReleased(actuator, ctx.signal);
    if (restored !== true) {
      if (restored === 'stopping') return 'ended'; // journaled as engaged: crash recovery finishes it
      await op.note({ actuatorEngaged: false });
      await op.to('failed', `power could not be restored: ${errorText(error)}`, {
        code: 'actuator-failed',
        message: errorText(error),
      });
      return 'ended';
    }
    // Counted from the start of the action (edges carry the actuator's own clock): at most a little long.
    const offMs = Math.round(ctx.clock.mono() - actedAtMonoMs);
    ctx.logger.warn({ offMs }, 'power restored after the device came back');
    const report: ActionReport = {
      action: 'power-cycle',
      requestedMs: undefined,
      effectiveMs: offMs,
      clamped: false,
      edges,
    };
    return {
      report,
      detail: `power restored after ${Math.round(offMs / 1000)} s off (the power actuator failed and came back)`,
    };
  }
  // How long the button was held is unknown: the board stopped answering while it was down.
  const report: ActionReport = { action: 'press', requestedMs: undefined, effectiveMs: 0, clamped: false, edges };
  const pressed = first ? 'button pressed' : 'press possibly delivered';
  return {
    report,
    detail:
      `${pressed}; ${releaseFailed ? 'its release FAILED' : 'released'} ` +
      `(${errorText(cause)}); the device-mode read-back decides`,
  };
}

/** true once the actuator is released; false if it cannot tell; 'stopping' when the agent stops first. */
async function untilReleased(actuator: ActuatorPort, signal: AbortSignal): Promise<boolean | 'stopping'> {
  if (!actuator.released) return false;
  if (signal.aborted) return 'stopping';
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'stopping'>((resolve) => {
    onAbort = () => resolve('stopping');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([actuator.released(), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Reads device-mode back and compares; used by the tail and by crash recovery. */
export async function verify(
  ctx: FlowContext,
  op: Operation,
  plan: Pick<ActuationPlan, 'expected' | 'expectAttemptCount' | 'before' | 'onMismatch' | 'onReadBack'> & {
    method?: ActuationPlan['method'];
  },
  rebooted: boolean | undefined,
): Promise<void> {
  let state;
  try {
    // A cut read is retried: it says nothing about the change (never a mismatch, never a verdict).
    state = await readDeviceModeBack(ctx);
  } catch (error) {
    plan.onReadBack?.({ rebooted, state: undefined });
    // Acted, and the result is unknown: that needs a person.
    await ctx.alarm({
      code: 'router-not-back',
      severity: 'critical',
      message: `device-mode could not be read back after the action: ${errorText(error)}`,
      operationId: op.record.id,
    });
    await op.to('failed', `could not read device-mode back: ${errorText(error)}`, {
      code: 'router-not-back',
      message: errorText(error),
    });
    return;
  }
  ctx.verified?.(state);
  plan.onReadBack?.({ rebooted, state });
  if (rebooted === false) {
    // Uptime kept counting. Device-mode only changes at a boot, so what differs is the
    // unconfirmed change: no alarm. A power cut that did not reboot the router did not reach
    // it (wiring?). A press only reboots a router with a change pending: the press happened,
    // and either nothing was pending any more or it did not reach the button.
    const text = `uptime kept counting; mode ${state.mode}, attempt-count ${state.attemptCount}`;
    const why =
      plan.method === 'button'
        ? 'button pressed, and the router did not reboot: no change was pending any more (RouterOS ends a pending ' +
          'change at its own activation timeout, which the agent cannot see), or the press did not reach the button'
        : 'router did not reboot: the action did not reach it';
    await op.to('failed', `${why} (${text})`, { code: 'not-confirmed', message: text });
    return;
  }
  const differences = plan.expected ? compareDeviceMode(plan.expected, state) : [];
  if (plan.expectAttemptCount !== undefined && state.attemptCount !== plan.expectAttemptCount) {
    differences.push({
      field: 'attempt-count',
      expected: String(plan.expectAttemptCount),
      actual: String(state.attemptCount),
    });
  }
  if (differences.length > 0 && plan.before && compareDeviceMode(plan.before, state).length === 0) {
    // Back exactly as before: nothing was confirmed (a power blip too short for a cold boot,
    // or a restart that released the power early). Not someone else's change: no alarm.
    const text = `device-mode unchanged (mode ${state.mode}), attempt-count ${state.attemptCount}`;
    await op.to('failed', `the action did not confirm the change: ${text}`, { code: 'not-confirmed', message: text });
    return;
  }
  if (differences.length > 0) {
    const text = differences
      .map((d) => `${d.field}: expected ${String(d.expected)}, got ${String(d.actual)}`)
      .join('; ');
    await ctx.alarm({
      code: 'device-mode-mismatch',
      type: 'security',
      severity: 'critical',
      message: `router came back different from what was approved: ${text}`,
      operationId: op.record.id,
      data: { differences },
    });
    await plan.onMismatch?.(state);
    await op.to('failed', `device-mode differs from the approval: ${text}`, {
      code: 'device-mode-mismatch',
      message: text,
    });
    return;
  }
  await op.to(
    'done',
    plan.expected ? `verified: mode ${state.mode}, attempt-count ${state.attemptCount}` : 'router is back',
  );
}
