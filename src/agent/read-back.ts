import type { DeviceModeState } from '../routeros/device-mode.js';
import { RouterClosedError, RouterTimeoutError, RouterUnreachableError } from '../routeros/errors.js';
import type { RouterPort } from './ports.js';
import type { UptimeBefore } from './reboot-wait.js';
import type { FlowContext } from './router-context.js';

/** Pause between read-back attempts. */
const RETRY_MS = 500;

/** A connection cut, refused or silent: worth another try. Anything else (a refused login, a bad reply) is not. */
function transient(error: unknown): boolean {
  return (
    error instanceof RouterClosedError || error instanceof RouterUnreachableError || error instanceof RouterTimeoutError
  );
}

/**
 * Reads device-mode back after an action. The router has just answered again, so a read
 * whose connection is cut (a flaky link, a router still settling after its boot) says
 * nothing about the change: it is retried, for up to `bootTimeoutMs`, until the router
 * answers. Stops retrying when the agent stops. Throws the last error when it gives up.
 */
export async function readDeviceModeBack(
  ctx: Pick<FlowContext, 'config' | 'logger' | 'signal' | 'clock'> & { client: Pick<RouterPort, 'readDeviceMode'> },
): Promise<DeviceModeState> {
  const giveUpAt = ctx.clock.mono() + ctx.config.bootTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.client.readDeviceMode({ timeoutMs: 5000 });
    } catch (error) {
      if (!transient(error) || ctx.signal.aborted || ctx.clock.mono() + RETRY_MS >= giveUpAt) throw error;
      ctx.logger.warn(
        { err: error instanceof Error ? error.message : String(error), attempt },
        'device-mode read-back failed; retrying',
      );
      await ctx.clock.sleep(RETRY_MS, ctx.signal);
    }
  }
}

/** Tries for a read right before acting: enough to ride out one cut connection, short next to any activation timeout.
 * */
const BEFORE_ACTING_ATTEMPTS = 3;
const BEFORE_ACTING_RETRY_MS = 250;

/**
 * The read right before acting. A cut or refused connection is tried again a few times (the
 * client reconnects at once after a drop), so one flaky moment does not waste a signed
 * request whose update is already pending. A timeout is not retried: on routers that stall
 * other sessions while a change is pending it is itself the answer, and the caller decides.
 */
export async function readDeviceModeBeforeActing(
  ctx: Pick<FlowContext, 'logger' | 'signal' | 'clock'> & { client: Pick<RouterPort, 'readDeviceMode' | 'retryNow'> },
): Promise<DeviceModeState> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.client.readDeviceMode({ timeoutMs: 2000 });
    } catch (error) {
      const cut = error instanceof RouterClosedError || error instanceof RouterUnreachableError;
      if (!cut || attempt >= BEFORE_ACTING_ATTEMPTS || ctx.signal.aborted) throw error;
      ctx.logger.warn({ err: error.message, attempt }, 'read before acting failed; retrying');
      ctx.client.retryNow();
      await ctx.clock.sleep(BEFORE_ACTING_RETRY_MS, ctx.signal);
    }
  }
}

/**
 * The uptime right before acting, or undefined: a stalled, hung or cut read gives none, and
 * the moment of the action stands in (a router that rebooted since shows an uptime shorter
 * than the time since; one still up from before does not).
 */
export async function readUptimeBeforeActing(
  ctx: Pick<FlowContext, 'clock'> & { client: Pick<RouterPort, 'readResource'> },
): Promise<UptimeBefore | undefined> {
  try {
    const resource = await ctx.client.readResource({ timeoutMs: 2000 });
    return { seconds: resource.uptimeSeconds, atMonoMs: ctx.clock.mono() };
  } catch {
    return undefined;
  }
}
