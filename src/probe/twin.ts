import { DEVICE_MODES, type DeviceMode } from '../routeros/device-mode.js';
import type { SimulatedRouterOptions } from '../sim/options.js';
import { observedBehaviour, type ProbeReport } from './report.js';

/**
 * Simulator options for a router that behaves as the probed one did: its profile (by model),
 * version, device-mode and every observed behaviour; unobserved ones keep the simulator default.
 * Throws when no simulator profile has the probed model.
 */
export function twinOptions(
  report: ProbeReport,
): Pick<
  SimulatedRouterOptions,
  | 'model'
  | 'routerosVersion'
  | 'deviceMode'
  | 'progressWhilePending'
  | 'stallOthersWhilePending'
  | 'abandonedUpdate'
  | 'attemptCountRises'
  | 'emptyReplies'
  | 'rebootReply'
> {
  if (!report.router.simulatorProfile) {
    throw new Error(
      `no simulator profile for model ${report.router.model}; a twin needs one (see src/sim/profiles.ts)`,
    );
  }
  return {
    model: report.router.simulatorProfile,
    routerosVersion: report.router.routerosVersion,
    ...((DEVICE_MODES as readonly string[]).includes(report.router.deviceMode)
      ? { deviceMode: { mode: report.router.deviceMode as DeviceMode } }
      : {}),
    ...observedBehaviour(report.behaviours),
  };
}
