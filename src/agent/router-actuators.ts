import { createActuator, type Actuator, type CreateActuatorDeps } from '../actuators/index.js';
import type { RouterConfig } from '../config/router-schema.js';
import type { Logger } from '../log/logger.js';

/** A router's configured actuators (button, power), released first at start and last at stop. */
export class RouterActuators {
  readonly roles: { button?: Actuator; power?: Actuator } = {};
  #started = false;

  constructor(
    config: RouterConfig,
    private readonly logger: Logger,
    deps?: Partial<CreateActuatorDeps>,
  ) {
    for (const role of ['button', 'power'] as const) {
      const actuatorConfig = config.actuators[role];
      if (actuatorConfig)
        this.roles[role] = createActuator(actuatorConfig, { logger, name: `${config.name}/${role}`, ...deps });
    }
  }

  /** Forces every output to its released level (button up, power on), once. */
  async release(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const actuator of Object.values(this.roles)) await actuator.start();
  }

  /** Stops each in turn (a flow's started pulse has completed its release by then). */
  async stop(): Promise<void> {
    for (const actuator of Object.values(this.roles))
      await actuator.stop().catch((error: unknown) => this.failed(error));
  }

  /** Releases every output now, all at once, without waiting for anything. */
  async forceRelease(): Promise<void> {
    await Promise.all(Object.values(this.roles).map((a) => a.stop().catch((error: unknown) => this.failed(error))));
  }

  private failed(error: unknown): void {
    this.logger.error({ err: error }, 'actuator stop failed');
  }
}
