import type { z } from 'zod';
import type { poeActuatorSchema } from '../config/actuator-schema.js';
import { RouterConnection, type Row } from '../routeros/connection.js';
import type { RouterEndpoint } from '../routeros/endpoint.js';
import { BaseActuator } from './base.js';
import type { PulseSteps } from './pulse.js';
import type { ActuatorDeps } from './types.js';
import { ActuatorError, ActuatorProtocolError, ActuatorUnavailableError, UnsupportedActionError } from './errors.js';

type PoeConfig = z.infer<typeof poeActuatorSchema>;

export interface PoeSession {
  command(words: readonly string[]): Promise<Row[]>;
  close(): Promise<void>;
}
export type PoeConnect = (endpoint: RouterEndpoint) => Promise<PoeSession>;
export interface PoeDeps {
  poeConnect?: PoeConnect;
}

const POE = '/interface/ethernet/poe';
/** Statuses that mean the port feeds (or is ready to feed) its device again. */
const POWERED = new Set(['powered-on', 'waiting-for-load']);

/**
 * A MikroTik switch's PoE port feeding the router. `power-cycle` keeps the timer on the
 * switch itself, so the router gets power back even if the Pi dies mid-cycle; `poe-out`
 * switches it off and on from here. Either way the release checks `poe-out-status`.
 */
export class RouterOsPoeActuator extends BaseActuator {
  readonly kind = 'routeros-poe';
  readonly capabilities = { press: false, powerCycle: true };

  constructor(
    name: string,
    private readonly config: PoeConfig,
    private readonly connect: PoeConnect,
    deps: ActuatorDeps,
  ) {
    super(name, config.timing, deps, { releaseAttempts: 5, releaseRetryMs: 1000, busyAfterMs: 500 });
  }

  async start(): Promise<void> {
    await this.#session(async (api) => {
      const rows = await api.command([`${POE}/print`, `?name=${this.config.interface}`]);
      const row = rows[0];
      if (!row)
        throw new ActuatorProtocolError(`${this.config.switch.host}: no PoE port named ${this.config.interface}`);
      if (row['poe-out'] === 'off') {
        this.logger.warn({ port: this.config.interface }, 'PoE port was off at start; switching it on');
        await this.#setPoeOut(api, this.config.poeOutOn);
      }
    });
  }

  async stop(): Promise<void> {
    await this.channel.close();
  }

  protected pressSteps(): PulseSteps {
    throw new UnsupportedActionError(this.kind, 'press a button');
  }

  protected powerSteps(): PulseSteps {
    const port = this.config.interface;
    return {
      engagedEdge: 'power-off',
      releasedEdge: 'power-on',
      engage: (offMs) =>
        this.#session(async (api) => {
          if (this.config.method === 'power-cycle') {
            const seconds = Math.max(1, Math.round(offMs / 1000));
            await api.command([`${POE}/power-cycle`, `=numbers=${port}`, `=duration=${seconds}s`]);
          } else {
            await this.#setPoeOut(api, 'off');
          }
        }),
      hold: async (ms, mark) => {
        await this.clock.sleep(ms);
        mark(`poe-out-status:${await this.#session((api) => this.#status(api))}`);
      },
      release: () =>
        this.#session(async (api) => {
          let status = await this.#status(api);
          if (POWERED.has(status)) return;
          if (status === 'power-cycle') {
            // The switch's own timer is still running (the off time is rounded to seconds).
            await this.clock.sleep(1500);
            status = await this.#status(api);
            if (POWERED.has(status)) return;
          }
          await this.#setPoeOut(api, this.config.poeOutOn);
          status = await this.#status(api);
          if (!POWERED.has(status))
            throw new ActuatorProtocolError(`${port}: poe-out-status is ${status} after switching it on`);
        }),
    };
  }

  async #status(api: PoeSession): Promise<string> {
    const rows = await api.command([`${POE}/monitor`, `=numbers=${this.config.interface}`, '=once=']);
    const status = rows[0]?.['poe-out-status'];
    if (!status) throw new ActuatorProtocolError(`${this.config.interface}: monitor returned no poe-out-status`);
    return status;
  }

  async #setPoeOut(api: PoeSession, value: string): Promise<void> {
    await api.command([`${POE}/set`, `=numbers=${this.config.interface}`, `=poe-out=${value}`]);
  }

  /** One API session per step: a connection is single-use, and the switch may be far away. */
  async #session<T>(run: (api: PoeSession) => Promise<T>): Promise<T> {
    const host = this.config.switch.host;
    let api: PoeSession;
    try {
      api = await this.connect(this.config.switch);
    } catch (error) {
      throw new ActuatorUnavailableError(`PoE switch ${host}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return await run(api);
    } catch (error) {
      if (error instanceof ActuatorError) throw error;
      throw new ActuatorProtocolError(`PoE switch ${host}: ${(error as Error).message}`, { cause: error });
    } finally {
      await api.close().catch(() => undefined);
    }
  }
}

export function createPoeActuator(config: PoeConfig, name: string, deps: ActuatorDeps & PoeDeps): RouterOsPoeActuator {
  const connect: PoeConnect =
    deps.poeConnect ??
    (async (endpoint) => {
      const connection = new RouterConnection(endpoint, deps.logger);
      await connection.open();
      return connection;
    });
  return new RouterOsPoeActuator(name, config, connect, deps);
}
