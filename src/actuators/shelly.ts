import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { shellyActuatorSchema } from '../config/actuator-schema.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { OutletState, SwitchedOutlet } from './outlet.js';

export type ShellyConfig = z.infer<typeof shellyActuatorSchema>;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** RFC 7616 digest (SHA-256, qop auth), as Shelly Gen2+ devices ask for it (user `admin`). */
export function digestAuthorization(
  challenge: string,
  password: string,
  method: string,
  uri: string,
  cnonce = randomBytes(8).toString('hex'),
): string {
  const field = (name: string): string => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1] ?? '';
  const realm = field('realm');
  const nonce = field('nonce');
  const nc = '00000001';
  const ha1 = sha256(`admin:${realm}:${password}`);
  const response = sha256(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${sha256(`${method}:${uri}`)}`);
  return (
    `Digest username="admin", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
    `algorithm=SHA-256, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`
  );
}

/** One Shelly RPC channel (Gen2+ JSON-RPC frames: `{id, src, method, params}` → `{id, result | error}`). */
export interface ShellyRpc {
  /** Where the device is, for messages. */
  readonly where: string;
  call(method: string, params: object): Promise<unknown>;
  close(): Promise<void>;
}

/** The `result` of a response frame, or the device's error as an ActuatorProtocolError. */
export function rpcResult(
  reply: { result?: unknown; error?: { code?: number; message?: string } },
  what: string,
): unknown {
  if (reply.error) throw new ActuatorProtocolError(`${what}: ${reply.error.code} ${reply.error.message ?? ''}`.trim());
  if (reply.result === undefined) throw new ActuatorProtocolError(`${what}: no result`);
  return reply.result;
}

/**
 * A Shelly Gen2+ switch over its RPC (shelly-api-docs.shelly.cloud gen2: `Switch.Set`
 * `{id, on, toggle_after}` with toggle_after in seconds; `Switch.GetStatus` → `output`), over
 * HTTP (`POST /rpc`, ShellyHttpRpc) or MQTT (shelly-mqtt.ts). A cut is one `Switch.Set` with
 * `toggle_after`: the device flips the output back by itself. `outlet` wiring: output on =
 * router powered (a Plus Plug); `normally-closed`: output on = router off.
 */
export class ShellyOutlet implements SwitchedOutlet {
  #commands = 0;

  constructor(
    private readonly config: ShellyConfig,
    private readonly rpc: ShellyRpc,
  ) {}

  get description(): string {
    return `Shelly switch ${this.config.switchId} (${this.config.wiring}) ${this.rpc.where}`;
  }

  commandsSent(): number {
    return this.#commands;
  }

  async read(): Promise<OutletState> {
    const status = (await this.#call('Switch.GetStatus', { id: this.config.switchId })) as { output?: unknown };
    if (typeof status.output !== 'boolean')
      throw new ActuatorProtocolError(`${this.description}: Switch.GetStatus has no output`);
    const powered = this.config.wiring === 'outlet' ? status.output : !status.output;
    return powered ? 'on' : 'off';
  }

  on(): Promise<void> {
    return this.#set(this.config.wiring === 'outlet');
  }

  off(): Promise<void> {
    return this.#set(this.config.wiring !== 'outlet');
  }

  /** One Switch.Set with toggle_after (seconds, 0.1 s steps, never shorter): the device times the flip back. */
  async cycle(offMs: number): Promise<number> {
    const seconds = Math.max(0.1, Math.ceil(offMs / 100) / 10);
    await this.#set(this.config.wiring !== 'outlet', seconds);
    return Math.round(seconds * 1000);
  }

  close(): Promise<void> {
    return this.rpc.close();
  }

  async #set(output: boolean, toggleAfter?: number): Promise<void> {
    this.#commands++;
    await this.#call('Switch.Set', {
      id: this.config.switchId,
      on: output,
      ...(toggleAfter ? { toggle_after: toggleAfter } : {}),
    });
  }

  #call(method: string, params: object): Promise<unknown> {
    return this.rpc.call(method, params);
  }
}

/** RPC over HTTP: `POST /rpc` with the whole frame, SHA-256 digest auth when a password is set. */
export class ShellyHttpRpc implements ShellyRpc {
  #id = 0;

  constructor(
    private readonly url: string,
    private readonly password: { reveal(): string } | undefined,
    private readonly timeoutMs: number,
  ) {}

  get where(): string {
    return `at ${this.url}`;
  }

  async call(method: string, params: object): Promise<unknown> {
    const url = new URL('/rpc', this.url);
    const body = JSON.stringify({ id: ++this.#id, src: 'dmconfirm', method, params });
    let response = await this.#post(url, body, undefined);
    if (response.status === 401 && this.password) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      response = await this.#post(
        url,
        body,
        digestAuthorization(challenge, this.password.reveal(), 'POST', url.pathname),
      );
    }
    const text = await response.text();
    const what = `Shelly ${this.where}: ${method}`;
    if (response.status === 401)
      throw new ActuatorUnavailableError(`${what}: authentication required or refused (password)`);
    let reply: { result?: unknown; error?: { code?: number; message?: string } };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new ActuatorProtocolError(`${what}: HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`);
    }
    if (!reply.error && !response.ok) throw new ActuatorProtocolError(`${what}: HTTP ${response.status}`);
    return rpcResult(reply, what);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #post(url: URL, body: string, authorization: string | undefined): Promise<Response> {
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ActuatorUnavailableError(`Shelly ${this.where}: unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
