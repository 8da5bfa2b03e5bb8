import { parseUpdate } from '../device-mode-engine.js';
import { ConnectionDropped, RosTrap, TRAP_CATEGORY } from '../errors.js';
import { versionAtLeast } from '../profiles.js';
import { formatRosDuration } from '../../routeros/duration.js';
import type { CommandContext, CommandReply, CommandTable } from './types.js';

/** Progress sentences while pending (an unconfirmed RouterOS behaviour, off unless asked for). */
const PROGRESS_EVERY_MS = 2000;

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== 'no' && value !== 'false';
}

function print(ctx: CommandContext): CommandReply {
  const engine = ctx.router.deviceMode;
  const config = ctx.attrs.config;
  if (config !== undefined && !versionAtLeast(ctx.router.routerosVersion, '7.17')) {
    throw new RosTrap('unknown parameter config', TRAP_CATEGORY.argumentValue);
  }
  return { rows: [isSet(config) ? engine.printConfigRow() : engine.printRow()] };
}

async function update(ctx: CommandContext): Promise<CommandReply> {
  const { router } = ctx;
  const { change, timeoutMs } = parseUpdate(ctx.attrs);
  const outcome = router.deviceMode.request(change, timeoutMs, ctx.sessionId);
  const pendingId = router.deviceMode.pending?.id;
  ctx.signal.addEventListener(
    'abort',
    () => {
      // Whether /cancel or a closed connection cancels the change is unconfirmed on real
      // routers; by default the change stays pending (the more dangerous case to test).
      const byClient = ctx.signal.reason !== 'device';
      if (
        byClient &&
        router.behaviour.abandonedUpdate === 'cancels' &&
        pendingId !== undefined &&
        router.deviceMode.pending?.id === pendingId
      ) {
        router.deviceMode.cancel('abandoned');
      }
    },
    { once: true },
  );
  let progress: NodeJS.Timeout | undefined;
  const tick = () => {
    const remaining = router.deviceMode.remainingMs();
    if (remaining === undefined || ctx.signal.aborted) return;
    ctx.progress({ status: 'waiting for confirmation', remaining: formatRosDuration(remaining) });
    progress = router.clock.setTimeout(tick, PROGRESS_EVERY_MS);
  };
  if (router.behaviour.progressWhilePending && pendingId !== undefined) tick();
  try {
    const result = await outcome;
    if (result === 'canceled') throw new RosTrap('update canceled');
    // Confirmed or cut short: the device reboots and this connection simply drops.
    throw new ConnectionDropped(result);
  } finally {
    router.clock.clearTimeout(progress);
  }
}

export const deviceModeCommands: CommandTable = {
  '/system/device-mode/print': print,
  '/system/device-mode/get': (ctx) => {
    const name = ctx.attrs['value-name'];
    const row = ctx.router.deviceMode.printRow();
    if (name === undefined || !(name in row)) throw new RosTrap('no such value-name', TRAP_CATEGORY.missingItem);
    return { ret: row[name] as string };
  },
  '/system/device-mode/update': update,
};
