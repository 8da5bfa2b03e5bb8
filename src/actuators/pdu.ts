import type { ActuatorTiming } from '../config/actuator-schema.js';
import { BaseActuator } from './base.js';
import type { PulseSteps } from './pulse.js';
import type { ActuatorDeps } from './types.js';
import { UnsupportedActionError } from './errors.js';
import type { SerialLine } from './serial-line.js';

/** What a switched PDU outlet can do; each dialect (WTI, APC) implements it in a few lines. */
export interface OutletProtocol {
  readonly description: string;
  off(): Promise<void>;
  on(): Promise<void>;
  /** The PDU's own off-then-on, timed by the PDU. */
  reboot(): Promise<void>;
}

/**
 * A serial smart PDU feeding the router. `off-on` times the off period here; `reboot` lets
 * the PDU time it, and still sends "on" after offMs so the outlet is known to be powered.
 */
export class PduActuator extends BaseActuator {
  readonly capabilities = { press: false, powerCycle: true };

  constructor(
    readonly kind: string,
    name: string,
    private readonly outlet: OutletProtocol,
    private readonly method: 'off-on' | 'reboot',
    private readonly line: SerialLine,
    timing: ActuatorTiming,
    deps: ActuatorDeps,
  ) {
    super(name, timing, deps, { releaseAttempts: 5, releaseRetryMs: 1000, busyAfterMs: 1000 });
  }

  async start(): Promise<void> {
    await this.outlet.on();
    this.logger.info({ outlet: this.outlet.description }, 'outlet forced on');
  }

  async stop(): Promise<void> {
    await this.channel.close();
    await this.line.close().catch((error: unknown) => this.logger.error({ err: error }, 'closing serial port failed'));
  }

  protected pressSteps(): PulseSteps {
    throw new UnsupportedActionError(this.kind, 'press a button');
  }

  protected powerSteps(): PulseSteps {
    if (this.method === 'off-on') {
      return {
        engagedEdge: 'power-off',
        releasedEdge: 'power-on',
        engage: () => this.outlet.off(),
        release: () => this.outlet.on(),
        commandsSent: () => this.line.writesStarted,
      };
    }
    return {
      engagedEdge: 'reboot-sent',
      releasedEdge: 'power-on-confirmed',
      engage: () => this.outlet.reboot(),
      release: () => this.outlet.on(),
      commandsSent: () => this.line.writesStarted,
    };
  }
}
