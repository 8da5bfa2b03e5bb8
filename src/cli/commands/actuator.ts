import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { createActuator } from '../../actuators/index.js';
import { ActuatorError } from '../../actuators/errors.js';
import { planActuatorTest, type TestAction } from '../../actuators/plan.js';
import { releaseAll } from '../../actuators/release-all.js';
import { CliError } from '../cli-error.js';
import { readFileSync } from 'node:fs';
import { SIMULATED_DEVICES, startSimulator } from '../../actuators/simulators.js';
import { durationMs } from '../duration.js';
import { agentConfigOption } from '../agent-config-option.js';

interface TestOptions {
  config: string;
  router: string;
  press?: boolean;
  powerCycle?: boolean;
  ms?: string;
  yes?: boolean;
  dryRun?: boolean;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const abort = new AbortController();
  rl.on('SIGINT', () => abort.abort()); // Ctrl-C at the question means no
  rl.on('close', () => abort.abort()); // so does end of input
  try {
    return (await rl.question(question, { signal: abort.signal })).trim().toLowerCase() === 'yes';
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** The agent's configuration, or exit code 2 with the reason. */
function loadForCli(file: string): ReturnType<typeof loadConfig> {
  try {
    return loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 2);
    throw error;
  }
}

async function runTest(options: TestOptions): Promise<void> {
  if (options.press && options.powerCycle) throw new CliError('choose one of --press and --power-cycle', 2);
  const ms = options.ms === undefined ? undefined : durationMs(options.ms, '--ms', 'ms');
  if (ms !== undefined && !Number.isFinite(ms)) throw new CliError(`--ms must be a number, got ${options.ms}`, 2);
  const loaded = loadForCli(options.config);
  const router = loaded.config.routers.find((r) => r.name === options.router);
  if (!router)
    throw new CliError(
      `no router "${options.router}" in ${loaded.file} (have: ${loaded.config.routers.map((r) => r.name).join(', ')})`,
      2,
    );
  const requested: TestAction | undefined = options.press ? 'press' : options.powerCycle ? 'power-cycle' : undefined;
  let plan;
  try {
    plan = planActuatorTest(router, requested, ms);
  } catch (error) {
    if (error instanceof ActuatorError) throw new CliError(error.message, 2);
    throw error;
  }
  console.log('Plan:');
  plan.steps.forEach((step, i) => console.log(`  ${i + 1}. ${step}`));
  if (options.dryRun) {
    console.log('(dry run: nothing touched)');
    return;
  }
  if (!options.yes && !(await confirm('This acts on real hardware. Type "yes" to go ahead: '))) {
    throw new CliError('not confirmed; nothing done', 1);
  }
  const logger = createLogger({
    level: loaded.config.log.level === 'info' ? 'warn' : loaded.config.log.level,
    pretty: false,
    destination: process.stderr,
  });
  const actuator = createActuator(plan.config, { logger, name: `${router.name}/${plan.role}` });
  // The pulse always completes its release; Ctrl-C only explains that, it cannot cut it short.
  const onSigint = (): void => console.log('\nCtrl-C: finishing the release first...');
  process.on('SIGINT', onSigint);
  try {
    console.log('starting (forcing the released state)...');
    await actuator.start();
    const onEdge = (edge: { edge: string; at: string }): void => console.log(`  ${edge.at}  ${edge.edge}`);
    const report =
      plan.action === 'press' ? await actuator.press(ms, { onEdge }) : await actuator.powerCycle(ms, { onEdge });
    const [first, last] = [report.edges[0], report.edges.at(-1)];
    const held = first && last ? Math.round(last.monoMs - first.monoMs) : 0;
    console.log(
      `done: ${report.action} of ${report.effectiveMs} ms${report.clamped ? ' (clamped)' : ''}, ` +
        `measured ${held} ms between first and last edge`,
    );
    const device = report.device;
    if (device) {
      const late = device.onTime ? '' : ' (LATE: switched on from here)';
      console.log(
        `the device timed the cut: planned ${device.plannedOffMs} ms, read back ` +
          `on after ${device.observedOffMs} ms (±${device.resolutionMs} ms)${late}`,
      );
    }
  } catch (error) {
    if (error instanceof ActuatorError) throw new CliError(`${error.name}: ${error.message}`, 1);
    throw error;
  } finally {
    await actuator.stop().catch((error: unknown) => console.error('stop failed:', error));
    process.off('SIGINT', onSigint);
  }
}

async function runRelease(options: { config: string; router?: string }): Promise<void> {
  const loaded = loadForCli(options.config);
  const routers = loaded.config.routers.filter((r) => options.router === undefined || r.name === options.router);
  if (routers.length === 0) throw new CliError(`no router "${options.router}" in ${loaded.file}`, 2);
  const logger = createLogger({ level: 'warn', pretty: false, destination: process.stderr });
  const results = await releaseAll({ ...loaded.config, routers }, logger);
  for (const r of results) {
    const state = r.role === 'button' ? 'button released' : 'power on';
    console.log(
      r.released
        ? `ok      ${r.router}/${r.role} (${r.kind}): ${state}`
        : `FAILED  ${r.router}/${r.role} (${r.kind}): ${r.error ?? 'unknown error'}`,
    );
  }
  if (results.some((r) => !r.released)) throw new CliError('some actuators could not be released', 1);
}

export function registerActuator(program: Command): void {
  const actuator = program.command('actuator').description('Installer tools for the button and power actuators');
  actuator
    .command('test')
    .description('Perform one real press or power cycle, step by step, after an interactive "yes"')
    .addOption(agentConfigOption())
    .requiredOption('--router <name>', 'router binding to act on')
    .option('--press', 'press the button (button actuator)')
    .option('--power-cycle', 'cut and restore the power (power actuator)')
    .option('--ms <n>', 'press length or power-off time in ms (clamped to the configured bounds)')
    .option('--yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan, touch nothing')
    .action((options: TestOptions) => runTest(options));
  actuator
    .command('release')
    .description(
      'Force every actuator released (button up, power on), as the agent does at ' +
        'start-up; for systemd ExecStopPost. Run only while the agent is stopped',
    )
    .addOption(agentConfigOption())
    .option('--router <name>', 'only this router binding')
    .action((options: { config: string; router?: string }) => runRelease(options));
  actuator
    .command('simulate')
    .description(
      'Run a simulated network power device (snmp, tasmota, shelly, ' +
        'raritan, netio) for `actuator test` and the demo; Ctrl-C stops it',
    )
    .argument('<kind>', SIMULATED_DEVICES.join(', '))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (snmp: UDP, default 1161; others TCP, default any free port)')
    .option('--mib <name>', 'snmp: apc-rpdu, apc-spdu, cyberpower or eaton', 'apc-rpdu')
    .option('--community <name>', 'snmp: v2c community', 'private')
    .option(
      '--broker <url>',
      'tasmota, shelly: the MQTT broker the device is on (shelly: RPC over MQTT instead of HTTP)',
    )
    .option(
      '--topic <name>',
      'tasmota: the device topic (default tasmota-sim); shelly: the topic prefix (default shellyplus1-sim)',
    )
    .option('--username <name>', 'raritan, netio: basic auth user', 'admin')
    .option('--password-file <file>', 'shelly, raritan, netio: file holding the device password')
    .option('--reboot-seconds <n>', 'snmp, raritan: the off time before the agent sets one', '5')
    .action((kind: string, options: SimulateOptions) => runSimulate(kind, options));
}

interface SimulateOptions {
  host: string;
  port?: string;
  mib: string;
  community: string;
  broker?: string;
  topic?: string;
  username: string;
  passwordFile?: string;
  rebootSeconds: string;
}

async function runSimulate(kind: string, options: SimulateOptions): Promise<void> {
  const device = SIMULATED_DEVICES.find((k) => k === kind);
  if (!device) throw new CliError(`kind must be one of ${SIMULATED_DEVICES.join(', ')}`, 2);
  const password = options.passwordFile ? readFileSync(options.passwordFile, 'utf8').replace(/\r?\n$/, '') : undefined;
  let sim;
  try {
    sim = await startSimulator(
      device,
      {
        ...options,
        port: Number(options.port ?? (device === 'snmp' ? 1161 : 0)),
        rebootSeconds: Number(options.rebootSeconds),
        ...(password ? { password } : {}),
      },
      (line) => console.log(line),
    );
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  console.log(`simulated ${sim.reach}`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  await sim.stop();
}
