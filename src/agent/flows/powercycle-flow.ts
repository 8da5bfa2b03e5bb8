import { modeDefaults, type DeviceModeChange, type DeviceModeState } from '../../routeros/device-mode.js';
import { buildChangeRequest } from '../../trust/drafts.js';
import type { PowerCycle } from '../../trust/messages.js';
import type { Accepted } from '../../trust/verify.js';
import { Operation } from '../operation.js';
import type { FlowContext } from '../router-context.js';
import { actuateAndVerify } from './actuate-and-verify.js';
import type { PowerCyclePlan } from './before-start.js';

/**
 * An approved plain power cycle (a hung router, or resetting an exhausted attempt-count).
 * A power cut confirms whatever change is pending, and nothing shows what that is: so the
 * router must come back with exactly the device-mode the order accepts (by default the last
 * verified one). Anything else is a critical alarm, and a ready-to-sign revert request back
 * to the last verified device-mode is published so approvers can undo it in one step.
 */
export async function runPowerCycle(
  ctx: FlowContext,
  accepted: Accepted<PowerCycle>,
  digest: string,
  plan: PowerCyclePlan,
): Promise<void> {
  const message = accepted.message;
  const before = plan.now ?? ctx.lastState();
  const op = await Operation.begin(ctx.services, {
    router: ctx.name,
    kind: 'powercycle',
    requestId: message.requestId,
    requestDigest: digest,
    method: 'power',
    ...(before ? { attemptCountBefore: before.attemptCount } : {}),
  });
  const unchanged = plan.now
    ? { mode: plan.now.mode, features: plan.now.features, flagged: plan.now.flagged }
    : undefined;
  const verified = plan.lastVerified?.deviceMode;
  await actuateAndVerify(ctx, op, {
    method: 'power',
    expected: plan.expected,
    expectAttemptCount: 0,
    before: unchanged,
    onMismatch: verified ? (back) => publishRevert(ctx, message, verified, back, op.record.id) : undefined,
  });
}

/** The smallest change that brings `back` to `verified` (mode first, then features); undefined when none can. */
export function revertChange(verified: DeviceModeState, back: DeviceModeState): DeviceModeChange | undefined {
  if (verified.mode !== back.mode) {
    const defaults = modeDefaults(verified.mode);
    const features = Object.fromEntries(
      Object.entries(verified.features).filter(([f, on]) => defaults[f as keyof typeof defaults] !== on),
    );
    return { mode: verified.mode, ...(Object.keys(features).length > 0 ? { features } : {}) };
  }
  const features = Object.fromEntries(
    Object.entries(verified.features).filter(([f, on]) => back.features[f as keyof typeof back.features] !== on),
  );
  return Object.keys(features).length > 0 ? { features } : undefined;
}

async function publishRevert(
  ctx: FlowContext,
  order: PowerCycle,
  verified: DeviceModeState,
  back: DeviceModeState,
  operationId: string,
): Promise<void> {
  const change = revertChange(verified, back);
  if (!change) return;
  // Without a synchronized clock the draft must carry its freshness: bind it to an order challenge.
  const challenge = await ctx.draftChallenge();
  const payload = buildChangeRequest({
    agent: order.agent,
    router: order.router,
    requester: { name: order.requester.name },
    now: ctx.clock.wall().getTime(),
    change,
    method: ctx.config.methods.includes('button') ? 'button' : 'power',
    activationTimeoutSeconds: 300,
    ...(challenge ? { challenge } : {}),
  });
  const draft = JSON.stringify({ payload: Buffer.from(JSON.stringify(payload)).toString('base64url'), signatures: [] });
  await ctx.alarm({
    code: 'revert-request',
    type: 'security',
    severity: 'critical',
    message:
      `the power cycle confirmed a change ` +
      `nobody accepted; a revert to the last ` +
      `verified device-mode (mode ${verified.mode}) is ready to sign: save ` +
      `data.draft to a file; its requester (${order.requester.name}) and the ` +
      `approvers each run dmconfirm cosign FILE --key K; then dmconfirm publish`,
    operationId,
    requestId: order.requestId,
    data: { draft, change },
  });
}
