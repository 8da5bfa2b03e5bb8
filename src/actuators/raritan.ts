import type { z } from 'zod';
import type { raritanActuatorSchema } from '../config/actuator-schema.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import type { OutletState, SwitchedOutlet } from './outlet.js';
import { deviceRequest } from './pinned-http.js';

export type RaritanConfig = z.infer<typeof raritanActuatorSchema>;

/**
 * A Raritan PX outlet over its JSON-RPC (`/model/outlet/<n-1>`, HTTP basic, HTTPS pinned);
 * names as in Raritan's JSON-RPC SDK (idl/Outlet.idl: getState → powerState PS_OFF 0 / PS_ON 1,
 * cycleInProgress; setPowerState(pstate); cyclePowerState(); get/setSettings; `_ret_` 0 = OK).
 * A cut sets the outlet's `cycleDelay` (seconds, read back), then `cyclePowerState`: the PDU
 * switches the outlet back on by itself.
 */
export class RaritanOutlet implements SwitchedOutlet {
  #commands = 0;
  #id = 0;

  constructor(private readonly config: RaritanConfig) {}

  get description(): string {
    return `Raritan PX outlet ${this.config.outlet} at ${this.config.url}`;
  }

  commandsSent(): number {
    return this.#commands;
  }

  async read(): Promise<OutletState> {
    const state = (await this.#rpc('getState', {})) as { powerState?: unknown; cycleInProgress?: unknown };
    if (state.powerState !== 0 && state.powerState !== 1)
      throw new ActuatorProtocolError(`${this.description}: getState has no powerState`);
    return state.powerState === 1 ? 'on' : state.cycleInProgress === true ? 'cycling' : 'off';
  }

  on(): Promise<void> {
    return this.#switch(1);
  }

  off(): Promise<void> {
    return this.#switch(0);
  }

  async cycle(offMs: number): Promise<number> {
    const seconds = Math.max(1, Math.round(offMs / 1000));
    // pdumodel.Outlet.Settings (Raritan JSON-RPC SDK idl/Outlet.idl): the outlet's own
    // cycleDelay applies only with usePduCycleDelay false; otherwise the PDU-wide delay does.
    const settings = (await this.#rpc('getSettings', {})) as Record<string, unknown>;
    if (settings.cycleDelay !== seconds || settings.usePduCycleDelay !== false) {
      await this.#expectZero('setSettings', {
        settings: { ...settings, usePduCycleDelay: false, cycleDelay: seconds },
      });
      const readBack = (await this.#rpc('getSettings', {})) as Record<string, unknown>;
      if (readBack.cycleDelay !== seconds || readBack.usePduCycleDelay !== false) {
        throw new ActuatorProtocolError(
          `${this.description}: cycleDelay reads ${String(readBack.cycleDelay)} ` +
            `(usePduCycleDelay ${String(readBack.usePduCycleDelay)}) after setting ${seconds} s`,
        );
      }
    }
    this.#commands++;
    await this.#expectZero('cyclePowerState', {});
    return seconds * 1000;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #switch(pstate: 0 | 1): Promise<void> {
    this.#commands++;
    await this.#expectZero('setPowerState', { pstate });
  }

  async #expectZero(method: string, params: object): Promise<void> {
    const ret = await this.#rpc(method, params);
    if (ret !== 0) throw new ActuatorProtocolError(`${this.description}: ${method} returned ${JSON.stringify(ret)}`);
  }

  async #rpc(method: string, params: object): Promise<unknown> {
    const url = new URL(`/model/outlet/${this.config.outlet - 1}`, this.config.url);
    const body = JSON.stringify({ jsonrpc: '2.0', method, params, id: ++this.#id });
    const basic = { username: this.config.username, password: this.config.password.reveal() };
    const { status, text } = await deviceRequest(url, {
      method: 'POST',
      body,
      basic,
      fingerprint: this.config.fingerprint,
      timeoutMs: this.config.timeoutMs,
    });
    if (status === 401) throw new ActuatorUnavailableError(`${this.description}: HTTP 401 (username/password)`);
    let reply: { result?: { _ret_?: unknown }; error?: { code?: number; message?: string } };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new ActuatorProtocolError(
        `${this.description}: ${method}: HTTP ${status}, not JSON: ${text.slice(0, 120)}`,
      );
    }
    if (reply.error)
      throw new ActuatorProtocolError(
        `${this.description}: ${method}: ${reply.error.code} ${reply.error.message ?? ''}`.trim(),
      );
    if (status !== 200 || !reply.result)
      throw new ActuatorProtocolError(`${this.description}: ${method}: HTTP ${status}`);
    return reply.result._ret_;
  }
}
