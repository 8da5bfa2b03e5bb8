import type { ActuatorTiming } from '../config/actuator-schema.js';
import { BaseActuator } from './base.js';
import type { PulseSteps } from './pulse.js';
import type { ActuatorDeps } from './types.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';
import { deviceRequest } from './pinned-http.js';

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

  // node:http rather than fetch: fetch would load undici and compile its WebAssembly HTTP
  // parser, ~20 MB of resident memory for the daemon's whole life (bench/idle.ts).
  async #request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const target = new URL(path, this.url);
    let answer: { status: number; text: string };
    try {
      answer = await deviceRequest(target, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.requestTimeoutMs,
      });
    } catch (error) {
      if (error instanceof ActuatorProtocolError) throw error;
      throw new ActuatorUnavailableError(`simulator at ${target.origin} unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const { status, text } = answer;
    if (status < 200 || status > 299)
      throw new ActuatorProtocolError(`simulator ${method} ${path}: HTTP ${status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}
