import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { createActuator, type CreateActuatorDeps } from './index.js';

export interface ReleaseResult {
  router: string;
  role: 'button' | 'power';
  kind: string;
  released: boolean;
  error?: string;
}

/**
 * Forces every configured actuator to its released level (button up, power on) and lets
 * go again: what the agent does first at start-up, for systemd's ExecStopPost. That runs
 * after the daemon exits for any reason, SIGKILL and crashes included, so a relay, PDU
 * outlet or PoE port the dead process left engaged is released at once instead of after
 * RestartSec. Never touches the state directory, the broker or the routers' API. Each
 * actuator is tried even when another fails.
 */
export async function releaseAll(
  config: Config,
  logger: Logger,
  deps: Partial<CreateActuatorDeps> = {},
): Promise<ReleaseResult[]> {
  const results: ReleaseResult[] = [];
  for (const router of config.routers) {
    for (const role of ['button', 'power'] as const) {
      const actuatorConfig = router.actuators[role];
      if (!actuatorConfig) continue;
      const actuator = createActuator(actuatorConfig, { logger, name: `${router.name}/${role}`, ...deps });
      try {
        await actuator.start(); // start() forces the released level
        results.push({ router: router.name, role, kind: actuator.kind, released: true });
      } catch (error) {
        results.push({
          router: router.name,
          role,
          kind: actuator.kind,
          released: false,
          error: error instanceof Error ? error.message : String(error),
        });
      } finally {
        await actuator
          .stop()
          .catch((error: unknown) =>
            logger.warn({ err: error, router: router.name, role }, 'actuator stop failed after release'),
          );
      }
    }
  }
  return results;
}
