import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { DeviceBrokerConfig } from '../config/actuator-schema.js';
import { connectDeviceBroker } from './device-broker.js';
import { ActuatorUnavailableError } from './errors.js';
import { rpcResult, type ShellyRpc } from './shelly.js';

interface Pending {
  resolve(reply: { result?: unknown; error?: { code?: number; message?: string } }): void;
}

/**
 * Shelly Gen2+ RPC over MQTT (shelly-api-docs.shelly.cloud gen2, "RPC Channels" and
 * "MQTT"): a request frame `{id, src, method, params}` published on `<topic_prefix>/rpc`
 * is answered on `<src>/rpc`. `src` is unique per client (`dmconfirm-<random>`), so two
 * agents or an operator's tool on the same broker never take each other's answers; the
 * `id` matches a response to its request. A device on the site broker makes a smart-plug
 * PDU with no extra network path. Over MQTT the device does not check its own password:
 * the broker's credentials and ACL (who may publish to `<prefix>/rpc`) protect it.
 */
export class ShellyMqttRpc implements ShellyRpc {
  readonly #src = `dmconfirm-${randomBytes(6).toString('hex')}`;
  #id = 0;
  #client: MqttClient | undefined;
  readonly #pending = new Map<number, Pending>();

  constructor(
    private readonly broker: DeviceBrokerConfig,
    private readonly topicPrefix: string,
    private readonly timeoutMs: number,
  ) {}

  get where(): string {
    return `on ${this.broker.url} (${this.topicPrefix}/rpc)`;
  }

  async call(method: string, params: object): Promise<unknown> {
    const client = await this.#connect();
    const id = ++this.#id;
    const what = `Shelly ${this.where}: ${method}`;
    const answered = new Promise<Parameters<Pending['resolve']>[0]>((resolve) => this.#pending.set(id, { resolve }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ActuatorUnavailableError(
              `${what}: no answer within ${this.timeoutMs} ms (device offline, wrong topicPrefix, or the broker's ACL)`,
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      await client.publishAsync(`${this.topicPrefix}/rpc`, JSON.stringify({ id, src: this.#src, method, params }), {
        qos: 1,
      });
      return rpcResult(await Promise.race([answered, timeout]), what);
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.endAsync(true).catch(() => undefined);
  }

  async #connect(): Promise<MqttClient> {
    if (this.#client?.connected) return this.#client;
    await this.close();
    this.#client = await connectDeviceBroker(this.broker, {
      clientIdPrefix: 'dmconfirm-shelly',
      timeoutMs: this.timeoutMs,
      description: `Shelly ${this.where}`,
      subscribe: `${this.#src}/rpc`,
      onMessage: (payload) => this.#deliver(payload),
    });
    return this.#client;
  }

  #deliver(payload: Buffer): void {
    let frame: { id?: unknown; result?: unknown; error?: { code?: number; message?: string } };
    try {
      frame = JSON.parse(payload.toString()) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame.id !== 'number') return;
    this.#pending.get(frame.id)?.resolve(frame);
  }
}
