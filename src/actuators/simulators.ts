import { JsonPduSim } from './json-pdu-sim.js';
import { ShellySim } from './shelly-sim.js';
import { SNMP_MIB_NAMES, type SnmpMibName } from './snmp-mibs.js';
import { SnmpPduSim } from './snmp-pdu-sim.js';
import { TasmotaSim } from './tasmota-sim.js';

export const SIMULATED_DEVICES = ['snmp', 'tasmota', 'shelly', 'raritan', 'netio'] as const;
export type SimulatedDevice = (typeof SIMULATED_DEVICES)[number];

export interface SimulatorOptions {
  host: string;
  port: number;
  /** snmp */
  mib: string;
  community: string;
  /** tasmota */
  broker?: string;
  /** tasmota: the device topic; shelly over MQTT: the topic prefix */
  topic?: string;
  /** shelly, raritan, netio */
  username: string;
  password?: string;
  /** The device's own off time before the agent sets one (snmp, raritan), seconds. */
  rebootSeconds: number;
}

/**
 * Starts the simulator of a network power device (`dmconfirm actuator simulate`): what
 * `actuator test` and the demo talk to without hardware. Returns how to reach it.
 */
export async function startSimulator(
  kind: SimulatedDevice,
  o: SimulatorOptions,
  log: (line: string) => void,
): Promise<{ reach: string; stop(): Promise<void> }> {
  const switched = (what: string) => (n: number, on: boolean) =>
    log(`${new Date().toISOString()}  ${what} ${n} ${on ? 'ON' : 'OFF'}`);
  switch (kind) {
    case 'snmp': {
      if (!SNMP_MIB_NAMES.includes(o.mib as SnmpMibName))
        throw new Error(`--mib must be one of ${SNMP_MIB_NAMES.join(', ')}`);
      const sim = new SnmpPduSim({
        mib: o.mib as SnmpMibName,
        host: o.host,
        port: o.port,
        community: o.community,
        rebootSeconds: o.rebootSeconds,
        onSwitch: switched('outlet'),
      });
      const port = await sim.start();
      return { reach: `${o.mib} PDU on udp ${o.host}:${port}, community ${o.community}`, stop: () => sim.stop() };
    }
    case 'tasmota': {
      if (!o.broker) throw new Error('--broker is required (the MQTT broker the device is on)');
      const topic = o.topic ?? 'tasmota-sim';
      const sim = new TasmotaSim({ brokerUrl: o.broker, topic, onSwitch: switched('relay') });
      await sim.start();
      return { reach: `Tasmota device on ${o.broker}, topic ${topic}`, stop: () => sim.stop() };
    }
    case 'shelly': {
      if (o.broker) {
        const topicPrefix = o.topic ?? 'shellyplus1-sim';
        const sim = new ShellySim({ mqtt: { brokerUrl: o.broker, topicPrefix }, onSwitch: switched('switch') });
        await sim.start();
        return { reach: `Shelly RPC over MQTT on ${o.broker}, topicPrefix ${topicPrefix}`, stop: () => sim.stop() };
      }
      const sim = new ShellySim({
        host: o.host,
        port: o.port,
        ...(o.password ? { password: o.password } : {}),
        onSwitch: switched('switch'),
      });
      await sim.start();
      return {
        reach: `Shelly RPC at ${sim.url}${o.password ? ' (digest auth, user admin)' : ''}`,
        stop: () => sim.stop(),
      };
    }
    case 'raritan':
    case 'netio': {
      const sim = new JsonPduSim({
        kind,
        host: o.host,
        port: o.port,
        username: o.username,
        password: o.password ?? 'password',
        cycleDelaySeconds: o.rebootSeconds,
        onSwitch: switched('outlet'),
      });
      await sim.start();
      return {
        reach: `${kind} PDU at ${sim.url}, user ${o.username}, certificate fingerprint ${sim.fingerprint256}`,
        stop: () => sim.stop(),
      };
    }
  }
}
