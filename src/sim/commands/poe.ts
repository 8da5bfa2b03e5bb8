import { RosTrap, TRAP_CATEGORY } from '../errors.js';
import { POE_OUT_VALUES, type PoeOut, type PoePorts } from '../poe.js';
import { parseRosDuration } from '../../routeros/duration.js';
import { listNumbers, type CommandContext, type CommandTable, type Row } from './types.js';

const MONITOR_EVERY_MS = 1000;

function ports(ctx: CommandContext): PoePorts {
  const poe = ctx.router.poe;
  if (!poe) throw new RosTrap('no such command prefix');
  return poe;
}

/** `numbers=` names ports by name or by `.id` (`*1` = first port). */
function selected(ctx: CommandContext): string[] {
  const poe = ports(ctx);
  const wanted = listNumbers(ctx.attrs.numbers);
  if (wanted.length === 0) throw new RosTrap('missing value of numbers', TRAP_CATEGORY.argumentValue);
  return wanted.map((w) => {
    const byId = /^\*([0-9A-Fa-f]+)$/.exec(w);
    const name = byId ? poe.names[parseInt(byId[1]!, 16) - 1] : w;
    if (name === undefined || !poe.has(name)) throw new RosTrap('no such item', TRAP_CATEGORY.missingItem);
    return name;
  });
}

function monitorRow(poe: PoePorts, name: string): Row {
  const status = poe.status(name);
  const on = status === 'powered-on';
  return {
    name,
    'poe-out': poe.poeOut(name),
    'poe-out-status': status,
    'poe-out-voltage': on ? '53.2' : '0',
    'poe-out-current': on ? '120' : '0',
    'poe-out-power': on ? '6.3' : '0',
  };
}

export const poeCommands: CommandTable = {
  '/interface/ethernet/poe/print': (ctx) => {
    const poe = ports(ctx);
    return {
      rows: poe.names.map((name, i) => ({
        '.id': `*${(i + 1).toString(16).toUpperCase()}`,
        name,
        'poe-out': poe.poeOut(name),
        'poe-priority': '10',
        'poe-lldp-enabled': 'false',
        'power-cycle-ping-enabled': 'false',
        'power-cycle-interval': 'none',
      })),
    };
  },
  '/interface/ethernet/poe/set': (ctx) => {
    const names = selected(ctx);
    const value = ctx.attrs['poe-out'];
    if (value !== undefined && !(POE_OUT_VALUES as readonly string[]).includes(value)) {
      throw new RosTrap('input does not match any value of poe-out', TRAP_CATEGORY.argumentValue);
    }
    if (value !== undefined) for (const n of names) ports(ctx).set(n, value as PoeOut);
  },
  '/interface/ethernet/poe/power-cycle': (ctx) => {
    const names = selected(ctx);
    const ms = parseRosDuration(ctx.attrs.duration ?? '5s');
    if (ms === undefined || ms <= 0)
      throw new RosTrap('input does not match any value of duration', TRAP_CATEGORY.argumentValue);
    for (const n of names) ports(ctx).powerCycle(n, ms);
  },
  '/interface/ethernet/poe/monitor': async (ctx) => {
    const names = selected(ctx);
    const poe = ports(ctx);
    if (ctx.attrs.once !== undefined && ctx.attrs.once !== 'no' && ctx.attrs.once !== 'false') {
      return { rows: names.map((n) => monitorRow(poe, n)) };
    }
    // Without `once` monitor streams until /cancel, like RouterOS.
    while (!ctx.signal.aborted) {
      for (const n of names) ctx.progress(monitorRow(poe, n));
      await ctx.router.clock.sleep(MONITOR_EVERY_MS);
    }
    return {};
  },
};
