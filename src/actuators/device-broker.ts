import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceBrokerConfig } from '../config/actuator-schema.js';
import { ActuatorUnavailableError } from './errors.js';

/**
 * Connects to the broker a smart relay (Tasmota, Shelly) is on, subscribes to the device's
 * answer topic and hands every message on it to `onMessage`. No automatic reconnect: the
 * driver connects again on its next request, so a broker restart costs one failed request.
 */
export async function connectDeviceBroker(
  broker: DeviceBrokerConfig,
  options: {
    clientIdPrefix: string;
    timeoutMs: number;
    description: string;
    subscribe: string;
    onMessage: (payload: Buffer) => void;
  },
): Promise<MqttClient> {
  try {
    const client = await mqtt.connectAsync(broker.url, {
      clientId: `${options.clientIdPrefix}-${Math.random().toString(36).slice(2, 10)}`,
      username: broker.username,
      password: broker.password?.reveal(),
      ca: broker.ca ? readFileSync(broker.ca) : undefined,
      connectTimeout: options.timeoutMs,
      reconnectPeriod: 0,
    });
    client.on('error', () => undefined);
    client.on('message', (_topic, payload) => options.onMessage(payload));
    await client.subscribeAsync(options.subscribe, { qos: 1 });
    return client;
  } catch (error) {
    throw new ActuatorUnavailableError(`${options.description}: broker: ${(error as Error).message}`, { cause: error });
  }
}
