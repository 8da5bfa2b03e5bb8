import { ConnectionDropped, RosTrap, TRAP_CATEGORY } from '../errors.js';
import { formatRosDuration } from '../../routeros/duration.js';
import type { CommandContext, CommandTable, Row } from './types.js';

function resourceRow(ctx: CommandContext): Row {
  const r = ctx.router;
  return {
    uptime: formatRosDuration(r.uptimeMs),
    version: `${r.routerosVersion} (stable)`,
    'build-time': '2026-01-01 00:00:00',
    'factory-software': '7.17',
    'free-memory': '880001024',
    'total-memory': '1073741824',
    cpu: r.profile.architecture === 'x86_64' ? 'Intel(R)' : 'ARM64',
    'cpu-count': '4',
    'cpu-load': '1',
    'free-hdd-space': '100663296',
    'total-hdd-space': '134217728',
    'architecture-name': r.profile.architecture,
    'board-name': r.profile.boardName,
    platform: 'MikroTik',
  };
}

function valueOf(row: Row, ctx: CommandContext): { ret: string } {
  const name = ctx.attrs['value-name'];
  if (name === undefined || !(name in row)) throw new RosTrap('no such value-name', TRAP_CATEGORY.missingItem);
  return { ret: row[name] as string };
}

function routerboardRow(ctx: CommandContext): Row {
  const r = ctx.router;
  return {
    routerboard: 'true',
    'board-name': r.profile.boardName,
    model: r.profile.model,
    'serial-number': r.serialNumber,
    'firmware-type': r.profile.firmwareType ?? 'unknown',
    'factory-firmware': '7.17',
    'current-firmware': r.routerosVersion,
    'upgrade-firmware': r.routerosVersion,
  };
}

/** `/system/...` menus that every model has (routerboard only on hardware, license only on CHR). */
export function systemCommands(hasRouterboard: boolean): CommandTable {
  const table: CommandTable = {
    '/system/resource/print': (ctx) => ({ rows: [resourceRow(ctx)] }),
    '/system/resource/get': (ctx) => valueOf(resourceRow(ctx), ctx),
    '/system/identity/print': (ctx) => ({ rows: [{ name: ctx.router.identity }] }),
    '/system/identity/get': (ctx) => valueOf({ name: ctx.router.identity }, ctx),
    '/system/identity/set': (ctx) => {
      const name = ctx.attrs.name;
      if (!name) throw new RosTrap('value of name must not be empty', TRAP_CATEGORY.argumentValue);
      ctx.router.identity = name;
    },
    '/system/reboot': (ctx) => {
      if (ctx.router.behaviour.rebootReply === 'done') {
        ctx.router.scheduleSoftReboot();
        return;
      }
      // A real router goes down at once: the session drops without `!done`.
      ctx.router.reboot('soft');
      throw new ConnectionDropped('reboot');
    },
  };
  if (hasRouterboard) {
    table['/system/routerboard/print'] = (ctx) => ({ rows: [routerboardRow(ctx)] });
    table['/system/routerboard/get'] = (ctx) => valueOf(routerboardRow(ctx), ctx);
  } else {
    const license = (ctx: CommandContext): Row => ({
      'system-id': ctx.router.systemId,
      level: 'p1',
      'deadline-at': '',
    });
    table['/system/license/print'] = (ctx) => ({ rows: [license(ctx)] });
    table['/system/license/get'] = (ctx) => valueOf(license(ctx), ctx);
  }
  return table;
}
