import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { shellyActuatorSchema } from '../config/actuator-schema.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { OutletState, SwitchedOutlet } from './outlet.js';

export type ShellyConfig = z.infer<typeof shellyActuatorSchema>;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** RFC 7616 digest (SHA-256, qop auth), as Shelly Gen2+ devices ask for it (user `admin`). */
export function digestAuthorization(challenge: string, password: string, method: string, uri: string, cnonce = randomBytes(8).toString('hex')): string {
  const field = (name: string): string => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1] ?? '';
  const realm = field('realm');
  const nonce = field('nonce');
  const nc = '00000001';
  const ha1 = sha256(`admin:${realm}:${password}`);
  const response = sha256(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${sha256(`${method}:${uri}`)}`);
  return `Digest username="admin", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=SHA-256, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}

/**
 * A Shelly Gen2+ switch over its HTTP RPC (`POST /rpc`). A cut is one `Switch.Set` with
 * `toggle_after`: the device flips the output back by itself. `outlet` wiring: output on =
 * router powered (a Plus Plug); `normally-closed`: output on = router off.
 */
export class ShellyOutlet implements SwitchedOutlet {
  #commands = 0;
  #id = 0;

  constructor(private readonly config: ShellyConfig) {}

  get description(): string {
    return `Shelly switch ${this.config.switchId} (${this.config.wiring}) at ${this.config.url}`;
  }

  commandsSent(): number {
    return this.#commands;
  }

  async read(): Promise<OutletState> {
    const status = (await this.#rpc('Switch.GetStatus', { id: this.config.switchId })) as { output?: unknown; timer_started_at?: unknown };
    if (typeof status.output !== 'boolean') throw new ActuatorProtocolError(`${this.description}: Switch.GetStatus has no output`);
    const powered = this.config.wiring === 'outlet' ? status.output : !status.output;
    return powered ? 'on' : 'off';
  }

  on(): Promise<void> {
    return this.#set(this.config.wiring === 'outlet');
  }

  off(): Promise<void> {
    return this.#set(this.config.wiring !== 'outlet');
  }

  /** One Switch.Set with toggle_after (seconds, 0.1 s steps): the device times the flip back. */
  async cycle(offMs: number): Promise<number> {
    const seconds = Math.max(0.1, Math.round(offMs / 100) / 10);
    await this.#set(this.config.wiring !== 'outlet', seconds);
    return Math.round(seconds * 1000);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #set(output: boolean, toggleAfter?: number): Promise<void> {
    this.#commands++;
    await this.#rpc('Switch.Set', { id: this.config.switchId, on: output, ...(toggleAfter ? { toggle_after: toggleAfter } : {}) });
  }

  async #rpc(method: string, params: object): Promise<unknown> {
    const url = new URL('/rpc', this.config.url);
    const body = JSON.stringify({ id: ++this.#id, src: 'dmconfirm', method, params });
    let response = await this.#post(url, body, undefined);
    if (response.status === 401 && this.config.password) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      response = await this.#post(url, body, digestAuthorization(challenge, this.config.password.reveal(), 'POST', url.pathname));
    }
    const text = await response.text();
    if (response.status === 401) throw new ActuatorUnavailableError(`${this.description}: authentication required or refused (password)`);
    let reply: { result?: unknown; error?: { code?: number; message?: string } };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new ActuatorProtocolError(`${this.description}: ${method}: HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`);
    }
    if (reply.error) throw new ActuatorProtocolError(`${this.description}: ${method}: ${reply.error.code} ${reply.error.message ?? ''}`.trim());
    if (!response.ok || reply.result === undefined) throw new ActuatorProtocolError(`${this.description}: ${method}: HTTP ${response.status}`);
    return reply.result;
  }

  async #post(url: URL, body: string, authorization: string | undefined): Promise<Response> {
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      throw new ActuatorUnavailableError(`${this.description}: unreachable: ${(error as Error).message}`, { cause: error });
    }
  }
}
