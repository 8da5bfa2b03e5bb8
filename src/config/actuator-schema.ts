import { z } from 'zod';
import { secretRef } from './secret.js';
import { routerConnectionSchema } from './connection-schema.js';

/** Safe bounds every driver clamps to; the hard limits cannot be configured away. */
export const timingSchema = z
  .strictObject({
    pressMs: z.number().int().min(50).max(2000).default(300).describe('Default button press length'),
    pressMinMs: z.number().int().min(50).max(2000).default(100),
    // A confirming press reboots the router: it must be released before the boot begins,
    // or the boot loader sees a held reset button (backup loader, configuration reset).
    pressMaxMs: z
      .number()
      .int()
      .min(50)
      .max(2000)
      .default(1000)
      .describe('A longer press is refused; keep it below the time the router takes to start rebooting'),
    offMs: z
      .number()
      .int()
      .min(1000)
      .max(120_000)
      .default(8000)
      .describe('Default power-off time (capacitors must drain)'),
    offMinMs: z.number().int().min(1000).max(120_000).default(2000),
    offMaxMs: z.number().int().min(1000).max(120_000).default(60_000),
  })
  .default({ pressMs: 300, pressMinMs: 100, pressMaxMs: 1000, offMs: 8000, offMinMs: 2000, offMaxMs: 60_000 })
  .refine(
    (t) => t.pressMinMs <= t.pressMs && t.pressMs <= t.pressMaxMs,
    'pressMs must lie within pressMinMs..pressMaxMs',
  )
  .refine((t) => t.offMinMs <= t.offMs && t.offMs <= t.offMaxMs, 'offMs must lie within offMinMs..offMaxMs');

const serialPort = {
  path: z.string().min(1).describe('Serial device, e.g. /dev/serial/by-id/...'),
  baudRate: z.number().int().positive().default(9600),
  timeoutMs: z.number().int().min(100).max(60_000).default(3000).describe('Reply timeout for each command'),
};

export const gpioActuatorSchema = z.strictObject({
  driver: z.literal('gpio'),
  pin: z.number().int().min(0).max(27, 'must be an integer 0..27').describe('BCM GPIO number on the header'),
  activeLow: z.boolean().default(true).describe('Relay input energizes on a low level (most Pi relay boards)'),
  wiring: z
    .enum(['normally-closed', 'normally-open'])
    .describe('normally-closed: power relay (energized = router off); normally-open: across the button'),
  backend: z
    .enum(['auto', 'sysfs', 'gpioset'])
    .default('auto')
    .describe('sysfs via onoff, or the libgpiod gpioset tool; auto picks sysfs when /sys/class/gpio is usable'),
  chipLabel: z
    .string()
    .min(1)
    .optional()
    .describe('gpiochip label of the header (default: pinctrl-bcm2835/bcm2711/rp1, i.e. any Raspberry Pi)'),
  timing: timingSchema,
});

export const lcusActuatorSchema = z.strictObject({
  driver: z.literal('lcus'),
  ...serialPort,
  channel: z.number().int().min(1).max(8).default(1),
  inverted: z.boolean().default(false).describe('Board clone with inverted on/off (00 energizes)'),
  wiring: z.enum(['normally-closed', 'normally-open']),
  timing: timingSchema,
});

export const numatoActuatorSchema = z.strictObject({
  driver: z.literal('numato'),
  ...serialPort,
  baudRate: z.number().int().positive().default(19200),
  relay: z.number().int().min(0).max(31).default(0).describe('Relay index (0-based; 10+ are sent as A, B, ...)'),
  wiring: z.enum(['normally-closed', 'normally-open']),
  timing: timingSchema,
});

export const wtiActuatorSchema = z.strictObject({
  driver: z.literal('wti'),
  ...serialPort,
  plug: z.union([z.number().int().min(1), z.string().min(1)]).describe('Plug number or name'),
  method: z
    .enum(['boot', 'off-on'])
    .default('off-on')
    .describe('/BOOT (PDU times the off period; set offMs to match) or /OFF then /ON'),
  username: z.string().optional().describe('Login name, when the PDU asks for one'),
  password: secretRef.optional(),
  prompt: z
    .string()
    .default('[A-Za-z]{2,8}>\\s*$')
    .describe('Regular expression matching the command prompt at the end of the output'),
  timing: timingSchema,
});

export const apcActuatorSchema = z.strictObject({
  driver: z.literal('apc'),
  ...serialPort,
  outlet: z.number().int().min(1),
  method: z
    .enum(['reboot', 'off-on'])
    .default('off-on')
    .describe('olReboot (PDU times the off period; set offMs to match) or olOff then olOn'),
  username: z.string().optional().describe('Login name, when the PDU asks for one'),
  password: secretRef.optional(),
  prompt: z
    .string()
    .default('apc>\\s*$')
    .describe('Regular expression matching the command prompt at the end of the output'),
  timing: timingSchema,
});

export const poeActuatorSchema = z.strictObject({
  driver: z.literal('routeros-poe'),
  switch: routerConnectionSchema.describe('The MikroTik switch whose PoE port powers the router'),
  interface: z.string().min(1).describe('PoE port, e.g. ether5'),
  method: z.enum(['power-cycle', 'poe-out']).default('power-cycle'),
  poeOutOn: z.enum(['auto-on', 'forced-on']).default('auto-on'),
  timing: timingSchema,
});

const v2c = z.strictObject({ version: z.literal('2c'), community: secretRef.describe('Write community') });
const v3 = z.strictObject({
  version: z.literal('3'),
  username: z.string().min(1),
  authProtocol: z.enum(['sha', 'sha224', 'sha256', 'sha384', 'sha512', 'md5']).default('sha'),
  authKey: secretRef,
  privProtocol: z.enum(['aes', 'aes256b', 'aes256r', 'des']).default('aes'),
  privKey: secretRef,
});

export const snmpActuatorSchema = z.strictObject({
  driver: z.literal('snmp'),
  host: z.string().min(1).describe("The PDU's address"),
  port: z.number().int().min(1).max(65535).default(161),
  mib: z.enum(['apc-rpdu', 'apc-spdu', 'cyberpower', 'eaton']).describe('Which outlet-control MIB the PDU speaks'),
  outlet: z.number().int().min(1).describe('Outlet number feeding the router'),
  unit: z.number().int().min(0).default(0).describe('Eaton only: the daisy-chain unit (strapping index)'),
  method: z
    .enum(['reboot', 'off-on'])
    .default('reboot')
    .describe('reboot: the PDU times the cut (power returns even if the agent dies); off-on: timed here'),
  snmp: z
    .discriminatedUnion('version', [v2c, v3])
    .describe('SNMP v2c (community) or v3 authPriv; keys and community are secrets'),
  timeoutMs: z.number().int().min(100).max(30_000).default(2000),
  retries: z.number().int().min(0).max(5).default(1),
  pollMs: z.number().int().min(50).max(2000).default(250).describe('Read-back interval while the PDU times the cut'),
  timing: timingSchema,
});

/** The MQTT broker a smart relay (Tasmota, Shelly) is on, often the site broker. */
const deviceBrokerSchema = z.strictObject({
  url: z.string().regex(/^mqtts?:\/\//, 'must be mqtt:// or mqtts://'),
  username: z.string().optional(),
  password: secretRef.optional(),
  ca: z.string().optional().describe('CA certificate (PEM file) for mqtts'),
});
export type DeviceBrokerConfig = z.infer<typeof deviceBrokerSchema>;

export const tasmotaActuatorSchema = z.strictObject({
  driver: z.literal('tasmota'),
  broker: deviceBrokerSchema.describe('The broker the Tasmota device is on (often the site broker)'),
  topic: z.string().regex(/^[^#+/\s]+$/, "the device's %topic%, without wildcards or slashes"),
  relay: z.number().int().min(1).max(32).default(1).describe('POWER<n>'),
  wiring: z
    .enum(['outlet', 'normally-closed'])
    .describe(
      'outlet: a smart plug (relay on = router powered; cut by Backlog + ' +
        'Delay); normally-closed: relay on = router off (cut by PulseTime)',
    ),
  prefix: z
    .strictObject({ cmnd: z.string().default('cmnd'), stat: z.string().default('stat') })
    .default({ cmnd: 'cmnd', stat: 'stat' }),
  timeoutMs: z.number().int().min(100).max(30_000).default(3000),
  pollMs: z.number().int().min(50).max(2000).default(250).describe('Read-back interval while the device times the cut'),
  timing: timingSchema,
});

export const shellyActuatorSchema = z
  .strictObject({
    driver: z.literal('shelly'),
    url: z.url().optional().describe('RPC over HTTP: the device, e.g. http://192.0.2.60 (POST /rpc)'),
    broker: deviceBrokerSchema
      .optional()
      .describe('RPC over MQTT: the broker the device is on (often the site broker)'),
    topicPrefix: z
      .string()
      .regex(/^[^#+\s]+$/, "the device's MQTT topic prefix, without wildcards")
      .optional()
      .describe(
        "RPC over MQTT: the device's topic prefix (default its id, " +
          'e.g. shellyplus1-a8032ab12345); requests go to <prefix>/rpc',
      ),
    password: secretRef
      .optional()
      .describe('RPC over HTTP: the device password (user admin), when authentication is on'),
    switchId: z.number().int().min(0).max(15).default(0),
    wiring: z
      .enum(['outlet', 'normally-closed'])
      .describe('outlet: output on = router powered; normally-closed: output on = router off'),
    timeoutMs: z.number().int().min(100).max(30_000).default(3000),
    pollMs: z
      .number()
      .int()
      .min(50)
      .max(2000)
      .default(250)
      .describe('Read-back interval while the device times the cut'),
    timing: timingSchema,
  })
  .refine((c) => (c.url === undefined) !== (c.broker === undefined), {
    message: 'give url (RPC over HTTP) or broker and topicPrefix (RPC over MQTT), one of them',
  })
  .refine((c) => c.broker === undefined || c.topicPrefix !== undefined, {
    message: "RPC over MQTT needs topicPrefix (the device's MQTT prefix)",
    path: ['topicPrefix'],
  })
  .refine((c) => c.broker === undefined || c.password === undefined, {
    message: "password is for RPC over HTTP; over MQTT the broker's credentials and ACL protect the device",
    path: ['password'],
  });

const pinnedHttp = {
  fingerprint: z
    .string()
    .regex(/^(sha256:)?([0-9a-fA-F]{2}:?){32}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons optional)')
    .optional()
    .describe('Pinned SHA-256 fingerprint of the device certificate (https); checked before anything is sent'),
  timeoutMs: z.number().int().min(100).max(30_000).default(3000),
  pollMs: z.number().int().min(50).max(2000).default(250).describe('Read-back interval while the device times the cut'),
};

export const raritanActuatorSchema = z.strictObject({
  driver: z.literal('raritan'),
  url: z.url().describe('The PDU, e.g. https://192.0.2.70'),
  username: z.string().min(1),
  password: secretRef,
  outlet: z.number().int().min(1).describe('Outlet number as printed (1-based)'),
  ...pinnedHttp,
  timing: timingSchema,
});

export const netioActuatorSchema = z.strictObject({
  driver: z.literal('netio'),
  url: z.url().describe('The PDU, e.g. https://192.0.2.71 (JSON API at /netio.json)'),
  username: z.string().min(1).optional().describe('The JSON API read-write user'),
  password: secretRef.optional(),
  output: z.number().int().min(1),
  ...pinnedHttp,
  timing: timingSchema,
});

export const simActuatorSchema = z.strictObject({
  driver: z.literal('sim'),
  url: z.url().describe('Control endpoint of `dmconfirm sim router`, e.g. http://127.0.0.1:8780'),
  timing: timingSchema,
});

export const actuatorSchema = z.discriminatedUnion('driver', [
  gpioActuatorSchema,
  lcusActuatorSchema,
  numatoActuatorSchema,
  wtiActuatorSchema,
  apcActuatorSchema,
  poeActuatorSchema,
  snmpActuatorSchema,
  tasmotaActuatorSchema,
  shellyActuatorSchema,
  raritanActuatorSchema,
  netioActuatorSchema,
  simActuatorSchema,
]);

export type ActuatorConfig = z.infer<typeof actuatorSchema>;
export type ActuatorTiming = z.infer<typeof timingSchema>;

/** What an actuator configuration can do: relays by their wiring, PDUs and PoE only power. */
export function actuatorCapabilities(config: ActuatorConfig): { press: boolean; powerCycle: boolean } {
  switch (config.driver) {
    case 'gpio':
    case 'lcus':
    case 'numato':
      return { press: config.wiring === 'normally-open', powerCycle: config.wiring === 'normally-closed' };
    case 'sim':
      return { press: true, powerCycle: true };
    default:
      return { press: false, powerCycle: true };
  }
}
