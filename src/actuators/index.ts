import type { ActuatorConfig } from '../config/actuator-schema.js';
import { RelayActuator } from './base.js';
import { GpioBackendOutput } from './gpio-backend.js';
import { LcusOutput } from './lcus.js';
import { NUMATO_DIALECT, NumatoOutput } from './numato.js';
import { SerialLine, type PortFactory } from './serial-line.js';
import { PromptSession } from './prompt-session.js';
import { PduActuator } from './pdu.js';
import { WtiOutlet, wtiDialect } from './wti.js';
import { ApcOutlet, apcDialect } from './apc.js';
import { SimActuator } from './sim.js';
import { createPoeActuator, type PoeDeps } from './routeros-poe.js';
import { NetworkOutletActuator, type SwitchedOutlet } from './outlet.js';
import { SnmpOutlet } from './snmp-pdu.js';
import { TasmotaOutlet } from './tasmota.js';
import { ShellyHttpRpc, ShellyOutlet } from './shelly.js';
import { ShellyMqttRpc } from './shelly-mqtt.js';
import { RaritanOutlet } from './raritan.js';
import { NetioOutlet } from './netio.js';
import type { Actuator, ActuatorDeps } from './types.js';

export type { Actuator, ActionReport, ActionEdge, ActionOptions } from './types.js';
export type { Clock } from '../time/clock.js';
export * from './errors.js';
export { capabilitiesOf, describeActuator } from './plan.js';

export interface CreateActuatorDeps extends ActuatorDeps, PoeDeps {
  /** Name for logs and busy errors, e.g. `core-1/power`. */
  name?: string;
  /** Serial ports; tests pass SerialPortMock. */
  portFactory?: PortFactory;
  /** Where gpioset/gpiodetect live (tests); PATH otherwise. */
  gpioToolDir?: string;
  /** util-linux chrt for real-time timed presses (tests); `chrt` on PATH otherwise. */
  chrtTool?: string;
}

/** Builds the driver a configuration names. No side effects: hardware is touched in start(). */
export function createActuator(config: ActuatorConfig, deps: CreateActuatorDeps): Actuator {
  const name = deps.name ?? config.driver;
  const logger = deps.logger.child({ driver: config.driver });
  switch (config.driver) {
    case 'gpio': {
      const output = new GpioBackendOutput({
        pin: config.pin,
        activeLow: config.activeLow,
        chipLabel: config.chipLabel,
        backend: config.backend,
        toolDir: deps.gpioToolDir,
        chrtTool: deps.chrtTool,
        logger,
      });
      return new RelayActuator('gpio', name, config.wiring, output, config.timing, deps);
    }
    case 'lcus': {
      const line = new SerialLine({
        path: config.path,
        baudRate: config.baudRate,
        logger,
        portFactory: deps.portFactory,
      });
      const output = new LcusOutput(line, {
        channel: config.channel,
        inverted: config.inverted,
        timeoutMs: config.timeoutMs,
      });
      return new RelayActuator('lcus', name, config.wiring, output, config.timing, deps);
    }
    case 'numato': {
      const line = new SerialLine({
        path: config.path,
        baudRate: config.baudRate,
        logger,
        portFactory: deps.portFactory,
      });
      const session = new PromptSession(line, NUMATO_DIALECT, { timeoutMs: config.timeoutMs, logger });
      return new RelayActuator(
        'numato',
        name,
        config.wiring,
        new NumatoOutput(line, session, config.relay),
        config.timing,
        deps,
      );
    }
    case 'wti':
    case 'apc': {
      const line = new SerialLine({
        path: config.path,
        baudRate: config.baudRate,
        logger,
        portFactory: deps.portFactory,
      });
      const session = new PromptSession(
        line,
        config.driver === 'wti' ? wtiDialect(config.prompt) : apcDialect(config.prompt),
        {
          username: config.username,
          password: config.password,
          timeoutMs: config.timeoutMs,
          logger,
        },
      );
      if (config.driver === 'wti') {
        const method = config.method === 'boot' ? 'reboot' : 'off-on';
        return new PduActuator('wti', name, new WtiOutlet(session, config.plug), method, line, config.timing, deps);
      }
      return new PduActuator(
        'apc',
        name,
        new ApcOutlet(session, config.outlet),
        config.method,
        line,
        config.timing,
        deps,
      );
    }
    case 'routeros-poe':
      return createPoeActuator(config, name, deps);
    case 'snmp': {
      const timedBy = config.method === 'reboot' ? 'device' : 'host';
      return new NetworkOutletActuator(
        'snmp',
        name,
        networkOutlet(config)!,
        { timedBy, pollMs: config.pollMs },
        config.timing,
        deps,
      );
    }
    case 'tasmota':
    case 'shelly':
    case 'raritan':
    case 'netio':
      return new NetworkOutletActuator(
        config.driver,
        name,
        networkOutlet(config)!,
        { timedBy: 'device', pollMs: config.pollMs },
        config.timing,
        deps,
      );
    case 'sim':
      return new SimActuator(name, config.url, config.timing, deps);
  }
}

/** The outlet client of a network-switched outlet configuration (read-only use: doctor). */
export function networkOutlet(config: ActuatorConfig): SwitchedOutlet | undefined {
  switch (config.driver) {
    case 'snmp':
      return new SnmpOutlet(config);
    case 'tasmota':
      return new TasmotaOutlet(config);
    case 'shelly': {
      const rpc = config.broker
        ? new ShellyMqttRpc(config.broker, config.topicPrefix!, config.timeoutMs)
        : new ShellyHttpRpc(config.url!, config.password, config.timeoutMs);
      return new ShellyOutlet(config, rpc);
    }
    case 'raritan':
      return new RaritanOutlet(config);
    case 'netio':
      return new NetioOutlet(config);
    default:
      return undefined;
  }
}
