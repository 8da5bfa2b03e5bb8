import type { z } from 'zod';
import type { netioActuatorSchema } from '../config/actuator-schema.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { OutletState, SwitchedOutlet } from './outlet.js';
import { deviceRequest } from './pinned-http.js';

export type NetioConfig = z.infer<typeof netioActuatorSchema>;
interface NetioOutput {
  ID: number;
  State: number;
}

/**
 * Netio JSON API (wiki.netio-products.com "JSON API", protocol JSON Ver 2.x; the vendor's own
 * `Netio` PyPI client): POST /netio.json `{"Outputs":[{"ID":n,"Action":a,"Delay":ms}]}`, the
 * reply and GET give `Outputs[].State` 0/1. Actions: 0 off, 1 on, 2 short off (off for Delay
 * ms, then on, timed by the device), 3 short on, 4 toggle, 5 no change, 6 ignored.
 */
const ACTION = { off: 0, on: 1, shortOff: 2 } as const;

/**
 * A Netio PDU output over its JSON API (`/netio.json`, HTTP basic, HTTPS pinned). A cut is one
 * "short off" with its Delay: the PDU switches the output back on by itself.
 */
export class NetioOutlet implements SwitchedOutlet {
  #commands = 0;

  constructor(private readonly config: NetioConfig) {}

  get description(): string {
    return `Netio output ${this.config.output} at ${this.config.url}`;
  }

  commandsSent(): number {
    return this.#commands;
  }

  async read(): Promise<OutletState> {
    const output = this.#find(await this.#call('GET'));
    return output.State === 1 ? 'on' : 'off';
  }

  on(): Promise<void> {
    return this.#act(ACTION.on);
  }

  off(): Promise<void> {
    return this.#act(ACTION.off);
  }

  async cycle(offMs: number): Promise<number> {
    await this.#act(ACTION.shortOff, offMs);
    return offMs;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #act(action: number, delay?: number): Promise<void> {
    this.#commands++;
    const body = JSON.stringify({
      Outputs: [{ ID: this.config.output, Action: action, ...(delay === undefined ? {} : { Delay: delay }) }],
    });
    this.#find(await this.#call('POST', body));
  }

  #find(reply: unknown): NetioOutput {
    const outputs = (reply as { Outputs?: NetioOutput[] } | undefined)?.Outputs;
    const output = outputs?.find((o) => o.ID === this.config.output);
    if (!output) throw new ActuatorProtocolError(`${this.description}: no output ${this.config.output} in the reply`);
    return output;
  }

  async #call(method: 'GET' | 'POST', body?: string): Promise<unknown> {
    const { username, password, fingerprint, timeoutMs } = this.config;
    const basic = username && password ? { username, password: password.reveal() } : undefined;
    const { status, text } = await deviceRequest(new URL('/netio.json', this.config.url), {
      method,
      body,
      basic,
      fingerprint,
      timeoutMs,
    });
    if (status === 401)
      throw new ActuatorUnavailableError(
        `${this.description}: HTTP 401 (username/password; writes need the read-write user)`,
      );
    if (status !== 200) throw new ActuatorProtocolError(`${this.description}: HTTP ${status} ${text.slice(0, 120)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ActuatorProtocolError(`${this.description}: not JSON: ${text.slice(0, 120)}`);
    }
  }
}
