import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Command } from 'commander';
import {
  describeRouter,
  fleetBaseDir,
  FleetConfigError,
  loadFleetConfig,
  simDeviceSchema,
  startFleet,
  type FleetConfig,
} from '../../sim/fleet.js';
import type { SimulatedRouter } from '../../sim/router.js';
import { MODEL_NAMES } from '../../sim/profiles.js';
import { parseReport } from '../../probe/report.js';
import { twinOptions } from '../../probe/twin.js';
import { CliError } from '../cli-error.js';
import { durationMs } from '../duration.js';

interface RouterFlags {
  name: string;
  model: string;
  routeros: string;
  host: string;
  apiPort: string;
  controlPort: string;
  tls?: boolean;
  apiSslPort: string;
  user: string;
  passwordFile?: string;
  bootSeconds: string;
  shutdownSeconds: string;
  minOffSeconds: string;
  splitReplies?: string | boolean;
  progressWhilePending?: boolean;
  stallOthers?: boolean;
  abandonedUpdate: string;
  mode?: string;
  flagged?: boolean;
  timeScale: string;
  attemptCountRises?: string;
  emptyReplies?: string;
  rebootReply?: string;
  behaviour?: string;
}

/** `--behaviour report.json`: model, version, device-mode and every observed behaviour from a probe report. */
export function flagsFromReport(f: RouterFlags, file: string): RouterFlags {
  let twin;
  try {
    twin = twinOptions(parseReport(JSON.parse(readFileSync(file, 'utf8')) as unknown, file));
  } catch (error) {
    // Unreadable, not JSON, not a report, or a model without a simulator profile: all the user's input.
    throw new CliError(`--behaviour: ${(error as Error).message}`, 2);
  }
  return {
    ...f,
    model: twin.model ?? f.model,
    routeros: twin.routerosVersion ?? f.routeros,
    ...(twin.deviceMode?.mode ? { mode: twin.deviceMode.mode } : {}),
    ...(twin.progressWhilePending === undefined ? {} : { progressWhilePending: twin.progressWhilePending }),
    ...(twin.stallOthersWhilePending === undefined ? {} : { stallOthers: twin.stallOthersWhilePending }),
    ...(twin.abandonedUpdate === undefined ? {} : { abandonedUpdate: twin.abandonedUpdate }),
    ...(twin.attemptCountRises === undefined ? {} : { attemptCountRises: twin.attemptCountRises }),
    ...(twin.emptyReplies === undefined ? {} : { emptyReplies: twin.emptyReplies ? 'yes' : 'no' }),
    ...(twin.rebootReply === undefined ? {} : { rebootReply: twin.rebootReply }),
  };
}

/** Flags → the same validated shape a fleet file has (pure, so it is testable line by line). */
export function fleetFromFlags(f: RouterFlags): FleetConfig {
  const device = simDeviceSchema.safeParse({
    name: f.name,
    model: f.model,
    routeros: f.routeros,
    host: f.host,
    apiPort: Number(f.apiPort),
    controlPort: f.controlPort === 'off' ? false : Number(f.controlPort),
    tls: Boolean(f.tls),
    apiSslPort: Number(f.apiSslPort),
    user: f.user,
    passwordFile: f.passwordFile,
    bootSeconds: durationMs(f.bootSeconds, '--boot-seconds') / 1000,
    shutdownSeconds: durationMs(f.shutdownSeconds, '--shutdown-seconds') / 1000,
    minOffSeconds: durationMs(f.minOffSeconds, '--min-off-seconds') / 1000,
    splitReplies: f.splitReplies === undefined ? false : f.splitReplies === true ? 'random' : f.splitReplies,
    progressWhilePending: Boolean(f.progressWhilePending),
    stallOthers: Boolean(f.stallOthers),
    abandonedUpdate: f.abandonedUpdate,
    mode: f.mode,
    flagged: Boolean(f.flagged),
    attemptCountRises: f.attemptCountRises,
    rebootReply: f.rebootReply,
    ...(f.emptyReplies === undefined
      ? {}
      : { emptyReplies: f.emptyReplies === 'yes' ? true : f.emptyReplies === 'no' ? false : f.emptyReplies }),
  });
  if (!device.success) {
    const flag = (key: PropertyKey | undefined) => String(key ?? '?').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new CliError(device.error.issues.map((i) => `--${flag(i.path[0])}: ${i.message}`).join('; '), 2);
  }
  const timeScale = Number(f.timeScale);
  if (!(timeScale > 0)) throw new CliError('--time-scale must be > 0', 2);
  return { timeScale, devices: [device.data] };
}

/** A port someone else holds is one clear line naming the option, not a listen stack. */
async function checkPortsFree(config: FleetConfig): Promise<void> {
  const wanted = config.devices.flatMap((d) =>
    [
      { port: d.apiPort, what: 'API', option: '--api-port', key: 'apiPort' },
      ...(d.tls ? [{ port: d.apiSslPort, what: 'api-ssl', option: '--api-ssl-port', key: 'apiSslPort' }] : []),
      ...(d.controlPort === false
        ? []
        : [{ port: d.controlPort, what: 'control endpoint', option: '--control-port', key: 'controlPort' }]),
    ]
      .filter((p) => p.port !== 0)
      .map((p) => ({ ...p, host: d.host, name: d.name })),
  );
  for (const p of wanted) {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const server = createServer();
      server.once('error', resolve);
      server.listen(p.port, p.host, () => server.close(() => resolve(undefined)));
    });
    if (error?.code === 'EADDRINUSE') {
      throw new CliError(
        `${p.host}:${p.port} (the ${p.what} of "${p.name}") is already in use, by another simulator ` +
          `or service; choose a free one with ${p.option} (0 = any; in a fleet file: ${p.key})`,
        2,
      );
    }
  }
}

async function runUntilSignal(config: FleetConfig, baseDir: string): Promise<void> {
  let routers: Map<string, SimulatedRouter>;
  try {
    await checkPortsFree(config);
    routers = await startFleet(config, baseDir);
  } catch (error) {
    if (error instanceof FleetConfigError || (error as NodeJS.ErrnoException).code !== undefined) {
      throw new CliError((error as Error).message, 2);
    }
    throw error;
  }
  for (const device of config.devices) {
    const router = routers.get(device.name)!;
    for (const line of describeRouter(device.name, router, device.host)) console.log(line);
    console.log(`  serial   ${router.serialNumber}   system id ${router.systemId}`);
  }
  if (config.timeScale !== 1) console.log(`time scale ${config.timeScale} (test only)`);
  console.log('ready; Ctrl-C stops');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.allSettled([...routers.values()].map((r) => r.stop()));
  console.log('stopped');
}

export function registerSim(program: Command): void {
  const sim = program
    .command('sim')
    .description('RouterOS simulator: a device-mode router or a fleet, for tests and trying dmconfirm');

  sim
    .command('router')
    .description('Run one simulated RouterOS device (binary API, device-mode, power and button over HTTP)')
    .option('--name <identity>', 'system identity', 'MikroTik')
    .option('--model <model>', `profile: ${MODEL_NAMES.join(', ')}`, 'hAP-ax3')
    .option('--routeros <version>', 'RouterOS version to emulate (7.18+ sends !empty)', '7.22')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--api-port <port>', 'binary API port (0 = any free port)', '8728')
    .option('--control-port <port>', 'HTTP control endpoint port, or "off"', '8780')
    .option('--tls', 'also serve api-ssl with a generated self-signed certificate')
    .option('--api-ssl-port <port>', 'api-ssl port', '8729')
    .option('--user <name>', 'API user', 'admin')
    .option('--password-file <file>', 'file with the API password (default: empty password)')
    .option('--boot-seconds <s>', 'power-on to API answering', '3')
    .option('--shutdown-seconds <s>', 'reboot request to boot start', '1')
    .option('--min-off-seconds <s>', 'power-off time needed for a cold boot (shorter: reboot, no confirmation)', '3')
    .option('--split-replies [how]', 'cut reply sentences across TCP writes: random (default) or bytes')
    .option('--progress-while-pending', 'send !re progress while an update is pending (unconfirmed behaviour)')
    .option('--stall-others', 'other sessions get no answer while an update is pending (unconfirmed behaviour)')
    .option(
      '--abandoned-update <what>',
      'stays-pending | cancels: effect of /cancel or disconnect on a pending update',
      'stays-pending',
    )
    .option('--attempt-count-rises <when>', 'at-request | at-end: when an update attempt counts', 'at-request')
    .option('--empty-replies <yes|no>', '!empty for commands without data (default: RouterOS 7.18+)')
    .option(
      '--reboot-reply <what>',
      'drops | done: /system/reboot drops the session (as routers do) or answers first',
      'drops',
    )
    .option('--behaviour <report.json>', 'behave as a probed router: model, version, mode and every observed behaviour')
    .option('--mode <mode>', "initial device-mode instead of the model's factory mode")
    .option('--flagged', 'start in the flagged state')
    .option('--time-scale <x>', 'TEST ONLY: real ms per simulated ms (0.01 = 100x faster)', '1')
    .action(async (flags: RouterFlags) => {
      await runUntilSignal(
        fleetFromFlags(flags.behaviour ? flagsFromReport(flags, flags.behaviour) : flags),
        process.cwd(),
      );
    });

  sim
    .command('fleet')
    .description('Run several simulated routers and PoE switches from one YAML file')
    .requiredOption('--config <file>', 'fleet file (devices: [...], see docs/simulator.md)')
    .action(async (opts: { config: string }) => {
      let config: FleetConfig;
      try {
        config = loadFleetConfig(opts.config);
      } catch (error) {
        throw new CliError((error as Error).message, 2);
      }
      await runUntilSignal(config, fleetBaseDir(opts.config));
    });
}
