import type { ExpectedDeviceMode } from './decisions.js';
import type { OperationRecord } from './journal.js';
import { Operation } from './operation.js';
import type { RouterContext } from './router-context.js';
import { verify } from './flows/actuate-and-verify.js';
import { waitForReboot } from './reboot-wait.js';

/**
 * After a crash or restart, a journaled operation is finished without acting again: the
 * actuators were already forced released by start-up. If we may have acted, wait for the
 * router and verify; if we had not acted yet, the approval's moment is gone (its nonce was
 * consumed, its deadline measured by a process that no longer exists): cancel.
 */
export async function recoverOperation(ctx: RouterContext, record: OperationRecord): Promise<void> {
  const op = Operation.resume(ctx.services, record);
  if (op.final) {
    await ctx.services.journal.clear(ctx.name);
    return;
  }
  await ctx.services.audit.append('recovery', { operationId: record.id, router: ctx.name, state: record.state, actuatorEngaged: record.actuatorEngaged });
  const acted = record.actuatorEngaged || ['actuating', 'rebooting', 'verifying'].includes(record.state);
  if (!acted) {
    if (record.kind === 'observed') ctx.publisher.clearChallenge(ctx.name);
    await op.to('cancelled', 'agent restarted before acting; nothing was actuated');
    return;
  }
  if (['idle', 'pending', 'challenged', 'actuating'].includes(op.state)) {
    if (op.state !== 'actuating') await op.to('actuating', 'agent restarted while engaging the actuator');
    await op.note({ actuatorEngaged: false });
    await op.to('rebooting', 'agent restarted mid-action; actuator released at start-up; waiting for the router');
  }
  if (op.state === 'rebooting') {
    const back = await waitForReboot(ctx.client, { timeoutMs: ctx.config.bootTimeoutMs, signal: ctx.signal });
    if (!back.back) {
      await ctx.alarm({ code: 'router-not-back', severity: 'critical', message: `router not back after restart recovery: ${back.lastError}`, operationId: record.id });
      await op.to('failed', 'router did not come back', { code: 'router-not-back', message: back.lastError });
      return;
    }
    await op.to('verifying', 'router answers after agent restart; reading device-mode back');
  }
  const expected = record.expected as ExpectedDeviceMode | undefined;
  const expectAttemptCount = record.expectAttemptCount as number | undefined;
  // Whether it rebooted is unknown across our restart; the read-back decides.
  await verify(ctx, op, { expected, ...(expectAttemptCount === undefined ? {} : { expectAttemptCount }) }, undefined);
}
