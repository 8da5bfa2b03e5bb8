import type { DeviceModeState } from '../../routeros/device-mode.js';
import type { ChangeRequest } from '../../trust/messages.js';
import type { Accepted } from '../../trust/verify.js';
import { TrustError } from '../../trust/refusal.js';
import type { RouterContext } from '../router-context.js';

/** What an order needs before it starts, or why it is refused with nothing used. */
export type Prepared<P> = { ok: true; value: P } | { ok: false; code: string; message: string };

/** An actuator still retrying a failed release (a device unplugged) cannot act. */
export function actuatorFree(ctx: Pick<RouterContext, 'actuators'>, method: 'button' | 'power'): Prepared<undefined> {
  const actuator = method === 'button' ? ctx.actuators.button : ctx.actuators.power;
  if (!actuator?.busy) return { ok: true, value: undefined };
  const message = `the ${method} actuator (${actuator.kind}) is busy: still restoring its released state after a failure; nothing was done, send the order again later`;
  return { ok: false, code: 'actuator-busy', message };
}

/** A change request: its actuator free and the router readable (the baseline), before anything is recorded. */
export async function beforeChange(ctx: RouterContext, message: ChangeRequest): Promise<Prepared<DeviceModeState>> {
  const free = actuatorFree(ctx, message.method);
  if (!free.ok) return free;
  try {
    return { ok: true, value: await ctx.client.readDeviceMode({ timeoutMs: 5000 }) };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'router-unreachable', message: `router not readable: ${text}; nothing was done, send the order again once it answers` };
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
