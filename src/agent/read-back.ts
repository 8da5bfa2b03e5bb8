import type { DeviceModeState } from '../routeros/device-mode.js';
import { RouterClosedError, RouterTimeoutError, RouterUnreachableError } from '../routeros/errors.js';
import type { RouterContext } from './router-context.js';
import { pause } from '../time/pause.js';

/** Pause between read-back attempts. */
const RETRY_MS = 500;

/** A connection cut, refused or silent: worth another try. Anything else (a refused login, a bad reply) is not. */
function transient(error: unknown): boolean {
  return error instanceof RouterClosedError || error instanceof RouterUnreachableError || error instanceof RouterTimeoutError;
}

/**
 * Reads device-mode back after an action. The router has just answered again, so a read
 * whose connection is cut (a flaky link, a router still settling after its boot) says
 * nothing about the change: it is retried, for up to `bootTimeoutMs`, until the router
 * answers. Stops retrying when the agent stops. Throws the last error when it gives up.
 */
export async function readDeviceModeBack(ctx: Pick<RouterContext, 'client' | 'config' | 'logger' | 'signal'>): Promise<DeviceModeState> {
  const giveUpAt = performance.now() + ctx.config.bootTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.client.readDeviceMode({ timeoutMs: 5000 });
    } catch (error) {
      if (!transient(error) || ctx.signal.aborted || performance.now() + RETRY_MS >= giveUpAt) throw error;
      ctx.logger.warn({ err: error instanceof Error ? error.message : String(error), attempt }, 'device-mode read-back failed; retrying');
      await pause(RETRY_MS, ctx.signal);
    }
  }
}
