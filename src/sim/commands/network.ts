import type { CommandContext, CommandTable, Row } from './types.js';
import { listMenu } from './list-menu.js';

/** A stable MAC per router and index, so clients see the same neighbours on every print. */
function mac(ctx: CommandContext, i: number): string {
  const base = (ctx.router.serialNumber + '000000000000').slice(0, 8).toUpperCase();
  return `${base.match(/../g)!.join(':')}:00:${(0x10 + i).toString(16).toUpperCase()}`;
}

const lan = (ctx: CommandContext): Row[] =>
  [1, 2].map((i) => ({
    address: `192.168.88.${10 + i}`,
    'mac-address': mac(ctx, i),
    interface: 'bridge',
    dynamic: 'true',
    complete: 'true',
  }));

/**
 * The read-mostly menus third-party tools poll (Home Assistant's MikroTik integration reads
 * interfaces, ARP and DHCP leases), with a small plausible LAN behind the router.
 */
export const networkCommands: CommandTable = {
  ...listMenu('/interface', {
    fields: (a) => ({ name: a.name ?? 'if1', type: a.type ?? 'ether', running: 'false' }),
    seed: (ctx) => [
      { name: 'ether1', type: 'ether', running: 'true', 'mac-address': mac(ctx, 0) },
      { name: 'bridge', type: 'bridge', running: 'true', 'mac-address': mac(ctx, 0) },
    ],
  }),
  ...listMenu('/ip/arp', {
    fields: (a) => ({
      address: a.address ?? '',
      'mac-address': a['mac-address'] ?? '',
      interface: a.interface ?? 'bridge',
    }),
    seed: lan,
  }),
  ...listMenu('/ip/dhcp-server/lease', {
    fields: (a) => ({ address: a.address ?? '', 'mac-address': a['mac-address'] ?? '', server: a.server ?? 'defconf' }),
    seed: (ctx) =>
      lan(ctx).map((r, i) => ({
        address: r.address!,
        'mac-address': r['mac-address']!,
        'host-name': `host-${i + 1}`,
        server: 'defconf',
        status: 'bound',
      })),
  }),
};
