import { actuatorCapabilities, type ActuatorConfig } from '../config/actuator-schema.js';
import type { RouterConfig } from '../config/router-schema.js';
import { planPowerOff, planPress } from './pulse.js';
import { ActuatorError } from './errors.js';
import { outletIndex, SNMP_MIBS } from './snmp-mibs.js';
import { ifAgentDies } from './timed-by.js';

export type TestAction = 'press' | 'power-cycle';

export interface ActuatorTestPlan {
  router: string;
  role: 'button' | 'power';
  action: TestAction;
  config: ActuatorConfig;
  effectiveMs: number;
  steps: string[];
}

/** One line naming the hardware an actuator configuration drives. */
export function describeActuator(config: ActuatorConfig): string {
  switch (config.driver) {
    case 'gpio':
      return (
        `GPIO${config.pin} relay (${config.activeLow ? 'active-low' : 'active-high'}, ` +
        `${config.wiring}, backend ${config.backend})`
      );
    case 'lcus':
      return (
        `LCUS USB relay ${config.channel} on ` +
        `${config.path}${config.inverted ? ' (inverted)' : ''}, ${config.wiring}`
      );
    case 'numato':
      return `Numato USB relay ${config.relay} on ${config.path}, ${config.wiring}`;
    case 'wti':
      return `WTI PDU plug ${config.plug} on ${config.path} (${config.method === 'boot' ? '/BOOT' : '/OFF then /ON'})`;
    case 'apc':
      return (
        `APC PDU outlet ${config.outlet} on ${config.path} ` +
        `(${config.method === 'reboot' ? 'olReboot' : 'olOff then olOn'})`
      );
    case 'routeros-poe':
      return `PoE port ${config.interface} of switch ${config.switch.host} (${config.method})`;
    case 'snmp':
      return (
        `${SNMP_MIBS[config.mib].title} outlet ${outletIndex(config.mib, config.outlet, config.unit)} ` +
        `at ${config.host}:${config.port}, SNMP v${config.snmp.version}`
      );
    case 'tasmota':
      return `Tasmota ${config.topic} relay ${config.relay} (${config.wiring}) on ${config.broker.url}`;
    case 'shelly':
      return (
        `Shelly switch ${config.switchId} (${config.wiring}) ` +
        `${config.broker ? `on ${config.broker.url} (${config.topicPrefix}/rpc)` : `at ${config.url}`}`
      );
    case 'raritan':
      return `Raritan PX outlet ${config.outlet} at ${config.url}${config.fingerprint ? ' (pinned)' : ''}`;
    case 'netio':
      return `Netio output ${config.output} at ${config.url}${config.fingerprint ? ' (pinned)' : ''}`;
    case 'sim':
      return `simulated router at ${config.url}`;
  }
}

function engageWords(config: ActuatorConfig, action: TestAction): [string, string] {
  const relay = config.driver === 'gpio' || config.driver === 'lcus' || config.driver === 'numato';
  if (action === 'press')
    return relay ? ['energize relay: button DOWN', 'de-energize relay: button UP'] : ['button DOWN', 'button UP'];
  if (relay) return ['energize relay: router power OFF', 'de-energize relay: router power ON'];
  if (config.driver === 'wti' && config.method === 'boot')
    return [`/BOOT ${config.plug},y (the PDU times the off period)`, `/ON ${config.plug},y to confirm power`];
  if (config.driver === 'apc' && config.method === 'reboot')
    return [`olReboot ${config.outlet}`, `olOn ${config.outlet} to confirm power`];
  if (config.driver === 'wti')
    return [`/OFF ${config.plug},y: router power OFF`, `/ON ${config.plug},y: router power ON`];
  if (config.driver === 'apc')
    return [`olOff ${config.outlet}: router power OFF`, `olOn ${config.outlet}: router power ON`];
  if (config.driver === 'snmp' && config.method === 'reboot') {
    const duration = SNMP_MIBS[config.mib].rebootSecondsOid ? "set the outlet's reboot duration, " : '';
    return [
      `${duration}send the outlet reboot command (the PDU times the ` +
        `off period); read the outlet back until the PDU switched it on`,
      'read the outlet back (switch it on if the PDU did not)',
    ];
  }
  if (config.driver === 'snmp')
    return ['outlet off command: router power OFF', 'outlet on command, read back: router power ON'];
  if (config.driver === 'tasmota' && config.wiring === 'outlet') {
    return [
      `Backlog Power${config.relay} 0; Delay; Power${config.relay} ` +
        `1 (the plug times the off period); read back until it is on`,
      'read the relay back (switch it on if the plug did not)',
    ];
  }
  if (config.driver === 'tasmota') {
    return [
      `PulseTime${config.relay} then Power${config.relay} 1: relay energized, ` +
        `router OFF (the relay drops after the pulse time); read back`,
      'read the relay back (drop it if it did not)',
    ];
  }
  if (config.driver === 'shelly') {
    const output = config.wiring === 'outlet' ? 'false' : 'true';
    return [
      `Switch.Set {id: ${config.switchId}, on: ${output}, toggle_after} ` +
        `(the switch times the off period); read back until it flipped back`,
      'read the switch back (flip it if the device did not)',
    ];
  }
  if (config.driver === 'raritan')
    return [
      'set cycleDelay, cyclePowerState (the PDU times the off period); getState until it is on',
      'getState (setPowerState on if the PDU did not)',
    ];
  if (config.driver === 'netio')
    return [
      `Output ${config.output} Action 2 "short off" with Delay (the PDU times it); read back until on`,
      'read back (Action 1 on if the PDU did not)',
    ];
  if (config.driver === 'routeros-poe' && config.method === 'power-cycle')
    return [`/interface/ethernet/poe/power-cycle ${config.interface}`, 'check poe-out-status is powered-on'];
  if (config.driver === 'routeros-poe')
    return [`poe-out=off on ${config.interface}`, `poe-out=${config.poeOutOn}, check poe-out-status`];
  return ['power OFF', 'power ON'];
}

/**
 * What `dmconfirm actuator test` will do, step by step, without touching anything. The
 * action defaults to the router's first allowed method.
 */
export function planActuatorTest(
  router: RouterConfig,
  requested: TestAction | undefined,
  ms: number | undefined,
): ActuatorTestPlan {
  const action: TestAction = requested ?? (router.methods[0] === 'button' ? 'press' : 'power-cycle');
  const role = action === 'press' ? 'button' : 'power';
  const config = router.actuators[role];
  if (!config)
    throw new ActuatorError(
      'not-configured',
      `router ${router.name} has no ${role} actuator (routers[].actuators.${role})`,
    );
  const t = config.timing;
  const plan = action === 'press' ? planPress(ms, t) : planPowerOff(ms, t);
  const bounds = action === 'press' ? `${t.pressMinMs}..${t.pressMaxMs}` : `${t.offMinMs}..${t.offMaxMs}`;
  const [engage, release] = engageWords(config, action);
  const wait =
    `wait ${plan.effectiveMs} ms` +
    (plan.clamped ? ` (requested ${ms} ms, clamped to ${bounds})` : ` (bounds ${bounds} ms)`);
  return {
    router: router.name,
    role,
    action,
    config,
    effectiveMs: plan.effectiveMs,
    steps: [
      `${action} router ${router.name} through ${describeActuator(config)}`,
      `start: force the ${role === 'button' ? 'button released' : 'router powered'}`,
      engage,
      wait,
      `${release} (always, even on error or Ctrl-C)`,
      'stop: release and close',
      `if the agent dies mid-${action === 'press' ? 'press' : 'cut'}: ${ifAgentDies(config).explain}`,
    ],
  };
}

/** What an actuator configuration can do, without building it (for config validation). */
export const capabilitiesOf = actuatorCapabilities;
