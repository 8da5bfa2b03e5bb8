import { stat } from 'node:fs/promises';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import type { ActuatorConfig } from '../config/actuator-schema.js';
import type { Config } from '../config/schema.js';
import { judgeBehaviours, loadShippedReports } from '../probe/known-behaviours.js';
import { judgePairing, PairingStore } from '../pairing/paired-unit.js';
import { probeSystemClockSync, type SyncProbes } from '../time/wall-clock.js';
import { fail, pass, warn, type CheckResult } from './check.js';
import {
  checkNetworkActuator,
  checkSimActuator,
  gpioFacts,
  withDeathBehaviour,
  judgeGpio,
  judgeSerial,
  serialConfig,
  serialFacts,
  type GpioProbe,
} from './actuator-checks.js';
import {
  checkTrustRoot,
  inspectAgentKey,
  judgeAgentKey,
  judgeClock,
  judgeConfig,
  judgeStateDir,
  judgeUser,
  pathFacts,
  secretPath,
  trustRootFacts,
} from './local-checks.js';
import { checkBroker, probeRouter } from './network-checks.js';

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  /** How long the broker may take to accept us. */
  brokerTimeoutMs?: number;
  uid?: number | undefined;
  clockProbes?: SyncProbes;
  gpio?: GpioProbe;
  /** Each check as it completes (the CLI prints as it goes). */
  onResult?: (result: CheckResult) => void;
}

/**
 * Every check `dmconfirm doctor` makes, in the order an installer fixes things. Only
 * reads: nothing is actuated, nothing on a router changes, nothing is paired.
 */
export async function runDoctor(file: string, options: DoctorOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (result: CheckResult | undefined) => {
    if (!result) return;
    results.push(result);
    options.onResult?.(result);
  };
  const env = options.env ?? process.env;
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(file, { env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    add(judgeConfig(error.file, error.problems, 0));
    return results;
  }
  const { config } = loaded;
  add(judgeConfig(loaded.file, undefined, config.routers.length));
  add(judgeUser(options.uid ?? process.getuid?.()));
  add(judgeStateDir(await pathFacts(config.agent.stateDir)));
  const synced = config.agent.clock === 'systemd' ? await probeSystemClockSync(options.clockProbes) : false;
  add(judgeClock(config.agent.clock, synced));
  add(await agentKeyCheck(config, env.CREDENTIALS_DIRECTORY));
  add(await checkTrustRoot(await trustRootFacts(config.agent.trustRoot, config.agent.stateDir)));
  const pairing = new PairingStore(config.agent.stateDir);
  const pairingLoaded = await pairing.load().then(
    () => true,
    () => false,
  );
  for (const [index, router] of config.routers.entries()) {
    for (const role of ['power', 'button'] as const) {
      const actuator = router.actuators[role];
      if (actuator)
        add(
          withDeathBehaviour(await actuatorCheck(`${router.name} ${role} actuator`, actuator, options.gpio), actuator),
        );
    }
    const probe = await probeRouter(`${router.name}`, router, `routers[${index}]`);
    for (const result of probe.results) add(result);
    if (probe.identity && pairingLoaded) {
      const verdict = judgePairing(probe.identity, router.identity, pairing.get(router.name), new Date());
      const name = `${router.name} pairing`;
      if (!verdict.ok)
        add(
          fail(
            name,
            verdict.detail,
            `if the unit was swapped on ` +
              `purpose: systemctl stop ` +
              `dmconfirm-agent; dmconfirm pair --config ${loaded.file} --accept`,
          ),
        );
      else if (verdict.firstContact) add(warn(name, 'not paired yet', `dmconfirm pair --config ${loaded.file}`));
      else add(pass(name, `matches the paired unit (since ${verdict.record.pairedAt})`));
    }
    const version = pairing.get(router.name)?.routerosVersion ?? probe.identity?.version;
    if (version) add(judgeBehaviours(router.name, version, loadShippedReports()));
  }
  add(await checkBroker(config, options.brokerTimeoutMs ?? 5000));
  return results;
}

async function agentKeyCheck(config: Config, credentialsDirectory: string | undefined): Promise<CheckResult> {
  const secret = config.agent.key;
  if (!secret) return judgeAgentKey(undefined);
  const path = secretPath(secret, credentialsDirectory);
  const mode = path
    ? await stat(path).then(
        (s) => s.mode,
        () => undefined,
      )
    : undefined;
  return judgeAgentKey(inspectAgentKey(secret, mode), path);
}

async function actuatorCheck(
  name: string,
  actuator: ActuatorConfig,
  gpio: GpioProbe | undefined,
): Promise<CheckResult> {
  const serial = serialConfig(actuator);
  if (serial) return judgeSerial(name, serial, await serialFacts(serial.path));
  switch (actuator.driver) {
    case 'gpio':
      return judgeGpio(name, actuator, await gpioFacts(actuator, gpio));
    case 'sim':
      return checkSimActuator(name, actuator.url, 3000);
    case 'routeros-poe': {
      const probe = await probeRouter(`${name} (switch)`, actuator.switch, `${name}.switch`);
      const login = probe.results[0];
      return login ? { ...login, name } : fail(name, 'no answer', 'check the switch');
    }
    default:
      return checkNetworkActuator(name, actuator);
  }
}
