import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

/**
 * A Shelly Gen2+ switch's RPC, for tests, `actuator test` and the demo: `Switch.Set` (with
 * `toggle_after`, run by the device's own timer) and `Switch.GetStatus`, over HTTP (`POST
 * /rpc`, with the devices' SHA-256 digest authentication when a password is set) or, with
 * `mqtt`, over MQTT like the real device: requests on `<topicPrefix>/rpc`, each answer on
 * `<src>/rpc` of the request's `src`, and a `NotifyStatus` on `<topicPrefix>/events/rpc`
 * when the output changes.
 */
export interface ShellySimOptions {
  switches?: number;
  password?: string;
  host?: string;
  port?: number;
  /** Every output switch (a wired load follows it). */
  onSwitch?: (id: number, output: boolean) => void;
  /** RPC over MQTT on this broker instead of HTTP. */
  mqtt?: { brokerUrl: string; topicPrefix: string };
}

type Frame = { id?: unknown; src?: unknown; method?: string; params?: Record<string, unknown> };

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const REALM = 'shellyplus1-sim';

export class ShellySim {
  readonly outputs: boolean[];
  readonly switches: Array<{ id: number; output: boolean; at: number; by: 'command' | 'device' }> = [];
  readonly calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  #server: Server | undefined;
  #client: MqttClient | undefined;
  #timers = new Map<number, NodeJS.Timeout>();
  #nonce = randomBytes(8).toString('hex');

  constructor(readonly options: ShellySimOptions = {}) {
    this.outputs = Array.from({ length: options.switches ?? 1 }, () => false);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    if (this.options.mqtt) return this.#startMqtt(this.options.mqtt);
    const server = createServer((req, res) => void this.#handle(req, res));
    this.#server = server;
    await new Promise<void>((resolve) =>
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve),
    );
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    await this.#client?.endAsync(true);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #set(id: number, output: boolean, by: 'command' | 'device'): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    if (this.outputs[id] === output) return;
    this.outputs[id] = output;
    this.switches.push({ id, output, at: performance.now(), by });
    this.options.onSwitch?.(id, output);
    const prefix = this.options.mqtt?.topicPrefix;
    const status = {
      src: prefix,
      dst: `${prefix}/events`,
      method: 'NotifyStatus',
      params: { ts: Date.now() / 1000, [`switch:${id}`]: { id, output } },
    };
    if (prefix) void this.#client?.publishAsync(`${prefix}/events/rpc`, JSON.stringify(status)).catch(() => undefined);
  }

  async #startMqtt(options: { brokerUrl: string; topicPrefix: string }): Promise<void> {
    const client = await mqtt.connectAsync(options.brokerUrl, {
      clientId: `${options.topicPrefix}-sim`,
      reconnectPeriod: 1000,
    });
    client.on('error', () => undefined);
    client.on('message', (_topic, payload) => {
      let frame: Frame;
      try {
        frame = JSON.parse(payload.toString()) as Frame;
      } catch {
        return; // a real device ignores a frame it cannot parse
      }
      if (typeof frame.src !== 'string' || frame.src === '') return; // nowhere to answer
      void client
        .publishAsync(
          `${frame.src}/rpc`,
          JSON.stringify({ ...this.#rpc(frame), src: options.topicPrefix, dst: frame.src }),
          { qos: 1 },
        )
        .catch(() => undefined);
    });
    await client.subscribeAsync(`${options.topicPrefix}/rpc`, { qos: 1 });
    this.#client = client;
  }

  #authorized(req: IncomingMessage): boolean {
    if (!this.options.password) return true;
    const header = req.headers.authorization ?? '';
    const field = (name: string): string => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(header)?.[1] ?? '';
    if (field('nonce') !== this.#nonce || field('username') !== 'admin') return false;
    const ha1 = sha256(`admin:${REALM}:${this.options.password}`);
    const expected = sha256(
      `${ha1}:${this.#nonce}:${field('nc')}:${field('cnonce')}:auth:${sha256(`${req.method}:${field('uri')}`)}`,
    );
    return field('response') === expected;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const reply = (status: number, payload: object, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    if (req.method !== 'POST' || req.url !== '/rpc') return reply(404, { error: { code: 404, message: 'not found' } });
    if (!this.#authorized(req)) {
      return reply(
        401,
        { code: 401, message: 'Unauthorized' },
        { 'www-authenticate': `Digest qop="auth", realm="${REALM}", nonce="${this.#nonce}", algorithm=SHA-256` },
      );
    }
    reply(200, this.#rpc(JSON.parse(body) as Frame));
  }

  /** One request frame → its response frame (either channel). */
  #rpc(frame: Frame): object {
    const params = frame.params ?? {};
    this.calls.push({ method: frame.method ?? '', params });
    const id = Number(params.id ?? 0);
    if (!(id in this.outputs))
      return { id: frame.id, error: { code: -105, message: `Argument 'id', value ${id} not found!` } };
    if (frame.method === 'Switch.GetStatus') return { id: frame.id, result: { id, output: this.outputs[id] } };
    if (frame.method !== 'Switch.Set' || typeof params.on !== 'boolean')
      return { id: frame.id, error: { code: -103, message: 'Invalid argument' } };
    const wasOn = this.outputs[id];
    this.#set(id, params.on, 'command');
    const toggleAfter = Number(params.toggle_after ?? 0);
    if (toggleAfter > 0) {
      const back = !params.on;
      this.#timers.set(
        id,
        setTimeout(() => this.#set(id, back, 'device'), toggleAfter * 1000),
      );
    }
    return { id: frame.id, result: { was_on: wasOn } };
  }
}
