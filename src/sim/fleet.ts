import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { DEVICE_MODES } from '../routeros/device-mode.js';
import { MODEL_NAMES } from './profiles.js';
import type { SimulatedRouterOptions } from './options.js';
import { SimulatedRouter } from './router.js';

const port = z.number().int().min(0).max(65535);

/** One simulated device in a fleet file (and the shape behind `sim router` flags). */
export const simDeviceSchema = z
  .object({
    name: z.string().min(1).describe('identity, also used to refer to this device (poweredBy)'),
    model: z.enum(MODEL_NAMES as [string, ...string[]]).default('hAP-ax3'),
    routeros: z
      .string()
      .regex(/^\d+\.\d+/)
      .default('7.22'),
    host: z.string().default('127.0.0.1'),
    apiPort: port.default(0),
    controlPort: z.union([port, z.literal(false)]).default(0),
    tls: z.boolean().default(false),
    apiSslPort: port.default(0),
    user: z.string().default('admin'),
    passwordFile: z.string().optional().describe('file holding the password; empty password if absent'),
    bootSeconds: z.number().min(0).default(3),
    shutdownSeconds: z.number().min(0).default(1),
    minOffSeconds: z.number().min(0).default(3),
    splitReplies: z.union([z.literal(false), z.enum(['bytes', 'random'])]).default(false),
    progressWhilePending: z.boolean().default(false),
    stallOthers: z.boolean().default(false),
    abandonedUpdate: z.enum(['stays-pending', 'cancels']).default('stays-pending'),
    attemptCountRises: z.enum(['at-request', 'at-end']).default('at-request'),
    emptyReplies: z.boolean().optional().describe('default: RouterOS 7.18 and later'),
    rebootReply: z.enum(['drops', 'done']).default('drops'),
    mode: z.enum(DEVICE_MODES).optional().describe('initial device-mode instead of the factory one'),
    flagged: z.boolean().default(false),
    poweredBy: z
      .object({ switch: z.string(), port: z.string() })
      .optional()
      .describe('a switch in this fleet whose PoE port powers this device'),
  })
  .strict();

export const fleetSchema = z
  .object({
    timeScale: z.number().positive().default(1).describe('TEST ONLY: shrink simulated time'),
    devices: z.array(simDeviceSchema).min(1),
  })
  .strict();

export type SimDeviceConfig = z.output<typeof simDeviceSchema>;
export type FleetConfig = z.output<typeof fleetSchema>;

/** Maps one device's configuration to router options (the password is read here). */
export function routerOptionsFor(device: SimDeviceConfig, timeScale: number, baseDir = '.'): SimulatedRouterOptions {
  const password =
    device.passwordFile === undefined
      ? ''
      : readFileSync(resolve(baseDir, device.passwordFile), 'utf8').replace(/\r?\n$/, '');
  return {
    model: device.model,
    routerosVersion: device.routeros,
    identity: device.name,
    host: device.host,
    apiPort: device.apiPort,
    controlPort: device.controlPort,
    tls: device.tls,
    apiSslPort: device.apiSslPort,
    user: device.user,
    password,
    timing: {
      bootMs: device.bootSeconds * 1000,
      shutdownMs: device.shutdownSeconds * 1000,
      minOffMs: device.minOffSeconds * 1000,
    },
    timeScale,
    splitReplies: device.splitReplies,
    progressWhilePending: device.progressWhilePending,
    stallOthersWhilePending: device.stallOthers,
    abandonedUpdate: device.abandonedUpdate,
    attemptCountRises: device.attemptCountRises,
    ...(device.emptyReplies === undefined ? {} : { emptyReplies: device.emptyReplies }),
    rebootReply: device.rebootReply,
    deviceMode: { ...(device.mode ? { mode: device.mode } : {}), flagged: device.flagged },
  };
}

export class FleetConfigError extends Error {
  override readonly name = 'FleetConfigError';
}

export function loadFleetConfig(file: string): FleetConfig {
  const result = fleetSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FleetConfigError(`${file}:\n${lines.join('\n')}`);
  }
  const names = new Set<string>();
  for (const d of result.data.devices) {
    if (names.has(d.name)) throw new FleetConfigError(`${file}: duplicate device name ${d.name}`);
    names.add(d.name);
  }
  return result.data;
}

/** Starts every device, switches first, and wires PoE ports to the devices they power. */
export async function startFleet(config: FleetConfig, baseDir: string): Promise<Map<string, SimulatedRouter>> {
  const routers = new Map<string, SimulatedRouter>();
  try {
    for (const device of config.devices) {
      const router = new SimulatedRouter(routerOptionsFor(device, config.timeScale, baseDir));
      routers.set(device.name, router);
      await router.start();
    }
    for (const device of config.devices) {
      if (!device.poweredBy) continue;
      const sw = routers.get(device.poweredBy.switch);
      if (!sw?.poe?.has(device.poweredBy.port)) {
        throw new FleetConfigError(
          `${device.name}: poweredBy ${device.poweredBy.switch} ` +
            `${device.poweredBy.port} is not a PoE port in this fleet`,
        );
      }
      sw.poe.attach(device.poweredBy.port, routers.get(device.name)!);
    }
    return routers;
  } catch (error) {
    await Promise.allSettled([...routers.values()].map((r) => r.stop()));
    throw error;
  }
}

export function fleetBaseDir(file: string): string {
  return dirname(resolve(file));
}

/** One line per device saying where it listens (the CLI prints these). */
export function describeRouter(name: string, r: SimulatedRouter, host: string): string[] {
  const state = r.state();
  const lines = [`${name}: ${r.modelName} RouterOS ${r.routerosVersion}, device-mode ${state.deviceMode.mode}`];
  lines.push(`  api      ${host}:${r.apiPort}`);
  if (state.ports.apiSsl !== undefined)
    lines.push(`  api-ssl  ${host}:${state.ports.apiSsl} sha256 ${r.tlsFingerprint256 ?? ''}`);
  try {
    lines.push(`  control  http://${host}:${r.controlPort}/state`);
  } catch {
    /* none */
  }
  return lines;
}
