import type { DeviceModeFeature } from '../../routeros/device-mode.js';
import { RosTrap } from '../errors.js';
import { listMenu } from './list-menu.js';
import type { CommandContext, CommandHandler, CommandTable, Row } from './types.js';

/** Features a flagged router refuses outright (reference: bandwidth-test, traffic generator, sniffer). */
const REFUSED_WHEN_FLAGGED = new Set<DeviceModeFeature>(['bandwidth-test', 'traffic-gen', 'sniffer']);
/** Menus where a flagged router refuses new or enabled entries (disable and remove still work). */
const NO_NEW_WHEN_FLAGGED = new Set<DeviceModeFeature>(['scheduler', 'socks', 'pptp', 'l2tp', 'ipsec', 'proxy', 'smb']);

function requireFeature(ctx: CommandContext, feature: DeviceModeFeature, creates: boolean): void {
  const engine = ctx.router.deviceMode;
  if (!engine.features[feature]) throw new RosTrap('not allowed by device-mode');
  // Flagged: the suspicious tools are refused, and new or enabled entries of the listed
  // menus are refused, while disable/remove still work.
  if (engine.flagged && (REFUSED_WHEN_FLAGGED.has(feature) || (creates && NO_NEW_WHEN_FLAGGED.has(feature)))) {
    throw new RosTrap('not allowed by device-mode, device is flagged');
  }
}

function enables(attrs: Record<string, string>): boolean {
  return attrs.enabled === 'yes' || attrs.enabled === 'true' || attrs.disabled === 'no' || attrs.disabled === 'false';
}

/** A settings menu (socks, proxy) whose `set enabled=yes` is gated by a feature. */
function settingsMenu(menu: string, feature: DeviceModeFeature): CommandTable {
  return {
    [`${menu}/print`]: (ctx) => ({ rows: [{ enabled: ctx.router.settingsOf(menu).enabled ?? 'false' }] }),
    [`${menu}/set`]: (ctx) => {
      if (enables(ctx.attrs)) requireFeature(ctx, feature, true);
      const s = ctx.router.settingsOf(menu);
      if (ctx.attrs.enabled !== undefined) s.enabled = enables(ctx.attrs) ? 'true' : 'false';
    },
  };
}

const tool =
  (feature: DeviceModeFeature, result: (ctx: CommandContext) => Row): CommandHandler =>
  (ctx) => {
    requireFeature(ctx, feature, false);
    return { rows: [result(ctx)] };
  };

/** Representative commands behind device-mode features, enough to prove gating. */
export const featureCommands: CommandTable = {
  ...listMenu('/system/scheduler', {
    guard: (ctx, creates) => requireFeature(ctx, 'scheduler', creates),
    fields: (a) => ({ name: a.name ?? 'schedule1', 'on-event': a['on-event'] ?? '', interval: a.interval ?? '0s' }),
  }),
  ...listMenu('/container', {
    guard: (ctx, creates) => requireFeature(ctx, 'container', creates),
    fields: (a) => ({ name: a.name ?? 'container1', 'remote-image': a['remote-image'] ?? '' }),
  }),
  ...settingsMenu('/ip/socks', 'socks'),
  ...settingsMenu('/ip/proxy', 'proxy'),
  '/tool/bandwidth-test': tool('bandwidth-test', (ctx) => ({
    status: 'done testing',
    address: ctx.attrs.address ?? '',
    'tx-current': '0',
    'rx-current': '0',
  })),
  '/tool/sniffer/start': (ctx) => {
    requireFeature(ctx, 'sniffer', false);
  },
  '/tool/fetch': tool('fetch', (ctx) => ({
    status: 'finished',
    downloaded: '0',
    total: '0',
    url: ctx.attrs.url ?? '',
  })),
};
