import type { ActuatorTiming } from '../config/actuator-schema.js';
import { BaseActuator } from './base.js';
import type { PulseSteps } from './pulse.js';
import type { ActuatorDeps } from './types.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';

/**
 * The simulator's control endpoint (`dmconfirm sim router`): the button and the power
 * switch of a simulated router over HTTP. The pulse timing is ours, exactly as with a relay,
 * so the simulator sees the same edges real hardware would.
 */
export class SimActuator extends BaseActuator {
  readonly kind = 'sim';
  readonly capabilities = { press: true, powerCycle: true };

  constructor(
    name: string,
    private readonly url: string,
    timing: ActuatorTiming,
    deps: ActuatorDeps,
    private readonly requestTimeoutMs = 3000,
  ) {
    super(name, timing, deps, { busyAfterMs: 100, releaseRetryMs: 200 });
  }

  async start(): Promise<void> {
    await this.#post('/button', { down: false });
    await this.#post('/power', { on: true });
  }

  async stop(): Promise<void> {
    await this.channel.close();
  }

  /** The simulator's own view, for tests and the CLI. */
  async state(): Promise<unknown> {
    return this.#request('GET', '/state');
  }

  protected pressSteps(): PulseSteps {
    return {
      engagedEdge: 'button-down',
      releasedEdge: 'button-up',
      engage: () => this.#post('/button', { down: true }),
      release: () => this.#post('/button', { down: false }),
    };
  }

  protected powerSteps(): PulseSteps {
    return {
      engagedEdge: 'power-off',
      releasedEdge: 'power-on',
      engage: () => this.#post('/power', { on: false }),
      release: () => this.#post('/power', { on: true }),
    };
  }

  async #post(path: string, body: unknown): Promise<void> {
    await this.#request('POST', path, body);
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const target = new URL(path, this.url);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      throw new ActuatorUnavailableError(`simulator at ${target.origin} unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok)
      throw new ActuatorProtocolError(`simulator ${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}
