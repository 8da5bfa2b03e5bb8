import type { ActuatorConfig } from '../config/actuator-schema.js';

/**
 * What happens if the agent (or the whole Pi) dies in the middle of a cut or a press:
 * `device-timed` outputs come back by themselves at the planned time (the PDU's reboot
 * timer, a PoE power-cycle, Tasmota's PulseTime, Shelly's toggle_after); `host-timed` ones
 * stay engaged until `dmconfirm actuator release` runs (systemd ExecStopPost, about a
 * second later) or, for relays on the Pi, until the Pi loses power.
 */
export interface DeathBehaviour {
  timedBy: 'device-timed' | 'host-timed';
  /** One sentence for doctor, `actuator test --dry-run` and the docs. */
  explain: string;
}

const HOST_RELEASE = 'needs `dmconfirm actuator release` (systemd ExecStopPost runs it)';

export function ifAgentDies(config: ActuatorConfig): DeathBehaviour {
  const device = (how: string): DeathBehaviour => ({
    timedBy: 'device-timed',
    explain: `device-timed: ${how} restores the power by itself at the planned time`,
  });
  const host = (what: string): DeathBehaviour => ({
    timedBy: 'host-timed',
    explain: `host-timed: ${what}; ${HOST_RELEASE}`,
  });
  switch (config.driver) {
    case 'gpio':
    case 'lcus':
    case 'numato':
      return host(
        config.wiring === 'normally-closed'
          ? 'the relay stays energized (router unpowered)'
          : 'the relay stays energized (button held)',
      );
    case 'wti':
      return config.method === 'boot' ? device("the PDU's /BOOT timer") : host('the outlet stays off');
    case 'apc':
      return config.method === 'reboot' ? device("the PDU's olReboot timer") : host('the outlet stays off');
    case 'snmp':
      return config.method === 'reboot' ? device("the PDU's outlet reboot timer") : host('the outlet stays off');
    case 'tasmota':
      return device(
        config.wiring === 'outlet' ? "the plug's own Backlog (Power 0; Delay; Power 1)" : "the relay's PulseTime",
      );
    case 'shelly':
      return device("the switch's toggle_after timer");
    case 'raritan':
      return device("the PDU's cyclePowerState (cycleDelay)");
    case 'netio':
      return device('the PDU\'s "short off" delay');
    case 'routeros-poe':
      return config.method === 'power-cycle'
        ? device("the switch's PoE power-cycle timer")
        : host('the PoE port stays off');
    case 'sim':
      return host('the simulated button stays down or the power off');
  }
}
