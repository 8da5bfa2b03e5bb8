/**
 * The clients of the broker conformance probe (broker-conformance.ts): MQTT 5 mqtt.js clients
 * that record what they receive and how the broker answered, and the persistent session the
 * agent uses.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';

export interface Credentials {
  username: string;
  password: string;
}

export interface ProbeTarget {
  publishUrl: string;
  receiveUrl: string;
  /** Login for the probe's own clients, when the broker wants one. */
  login?: Credentials;
  /** The session expiry the agent asks for (`mqtt.sessionExpirySeconds`, default 1 day). */
  sessionExpirySeconds?: number;
  /** Per-client ACL check: two agent identities (username = agent id) and an operator, at `site`. */
  acl?: { site: string; agents: [Credentials, Credentials]; operator: Credentials };
  /** How long a message that should arrive may take (default 10 s). */
  timeoutMs?: number;
  /** Extra mqtt.js options for every client (TLS: `ca`, `servername`, ...). */
  clientOptions?: IClientOptions;
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  expiry?: number;
}

export class Probe {
  readonly prefix = `dmconfirm-probe/${randomBytes(4).toString('hex')}`;
  readonly #clients: MqttClient[] = [];
  constructor(readonly target: ProbeTarget) {}

  get timeoutMs(): number {
    return this.target.timeoutMs ?? 10_000;
  }

  /** Connects and resolves with the client, its CONNACK and everything it receives. */
  async connect(url: string, options: IClientOptions = {}) {
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      clientId: `probe-${randomBytes(6).toString('hex')}`,
      ...this.target.clientOptions,
      ...this.target.login,
      ...options,
    });
    this.#clients.push(client);
    const seen: Received[] = [];
    client.on('message', (topic, payload, packet) =>
      seen.push({
        topic,
        payload: payload.toString(),
        retain: packet.retain,
        qos: packet.qos,
        expiry: packet.properties?.messageExpiryInterval,
      }),
    );
    // A broker may end the connection with a reason (MQTT 5 DISCONNECT from the server): kept as evidence.
    const disconnects: number[] = [];
    client.on('disconnect', (packet) => disconnects.push(packet.reasonCode ?? 0));
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
      client.once('close', () => reject(new Error(`connection to ${url} closed before CONNACK`)));
    });
    client.on('error', () => undefined);
    const find = (pred: (m: Received) => boolean) => seen.find(pred);
    return { client, connack, seen, find, disconnects };
  }

  /** Resolves with the first message `pred` accepts, or undefined after `ms`. */
  async within<T>(probe: () => T | undefined, ms = this.timeoutMs): Promise<T | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = probe();
      if (value !== undefined || Date.now() > deadline) return value;
      await pause(25);
    }
  }

  /** A persistent session like the agent's: Clean Start 0 and the contract's session expiry. */
  persistent(clientId: string, extra: IClientOptions = {}): IClientOptions {
    return {
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: this.target.sessionExpirySeconds ?? 86_400 },
      ...extra,
    };
  }

  /** Ends a persistent session for good: reconnect with Clean Start and no expiry, then disconnect. */
  async forget(url: string, clientId: string): Promise<void> {
    const c = await this.connect(url, { clientId, clean: true, properties: { sessionExpiryInterval: 0 } });
    await c.client.endAsync();
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.#clients.map((c) => c.endAsync(true)));
  }
}

/** The SUBACK code for one filter: the granted QoS, or the broker's refusal (mqtt.js rejects those). */
export async function trySubscribe(client: MqttClient, filter: string): Promise<number> {
  try {
    const [granted] = await client.subscribeAsync(filter, { qos: 1 });
    return granted?.qos ?? -1;
  } catch (error) {
    const code = (error as { packet?: { granted?: unknown[] } }).packet?.granted?.[0];
    if (typeof code === 'number') return code;
    throw error;
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
