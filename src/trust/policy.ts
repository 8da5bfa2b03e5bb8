import type { Policy } from '../config/policy-schema.js';
import type { DeviceModeChange } from '../routeros/device-mode.js';
import { featuresTurnedOn } from './change.js';
import { refuse } from './refusal.js';

export type Method = 'button' | 'power';

/**
 * The agent's own limits from its local configuration; no signed message can widen them.
 * Checked after signatures, so a refusal here means "validly approved, but not here".
 */
export interface RouterPolicy {
  /** The router binding's name (rate limits are kept per name). */
  name: string;
  methods: readonly Method[];
  policy: Policy;
}

export function checkMethod(method: Method, router: RouterPolicy): void {
  if (!router.methods.includes(method)) {
    refuse(
      'policy-method',
      `router ${router.name} does not allow confirmation by ` +
        `${method} (allowed: ${router.methods.join(', ') || 'none'})`,
    );
  }
}

/**
 * Features, mode and flagged clearing the local policy allows for a change. The features
 * are all those the change can leave enabled: the ones it names and, because `mode=`
 * replaces the whole configuration, every feature its mode enables (install-any-version
 * included, whichever way it is reached).
 */
export function checkChange(change: DeviceModeChange, router: RouterPolicy): void {
  const { policy } = router;
  if (change.mode !== undefined && !policy.allowedModes.includes(change.mode)) {
    refuse(
      'policy-mode',
      `local policy does not allow mode ${change.mode} (allowed: ${policy.allowedModes.join(', ') || 'none'})`,
    );
  }
  const forbidden = featuresTurnedOn(change).filter((f) => !policy.allowedFeatures.includes(f));
  if (forbidden.length > 0) {
    const via = change.mode ? ` (mode ${change.mode} replaces the whole configuration and enables them)` : '';
    const allowed = policy.allowedFeatures.join(', ') || 'none';
    refuse(
      'policy-feature',
      `local policy does not allow turning on ${forbidden.join(', ')}${via} (allowed: ${allowed})`,
    );
  }
  if (change.flagged === false && !policy.allowFlaggedClear) {
    refuse(
      'policy-flagged',
      'local policy does not allow clearing flagged (set policy.allowFlaggedClear after a full audit)',
    );
  }
}

export function checkChangePolicy(change: DeviceModeChange, method: Method, router: RouterPolicy): void {
  checkChange(change, router);
  checkMethod(method, router);
}

/** A power cycle needs power among the router's methods. */
export function checkPowerCyclePolicy(router: RouterPolicy): void {
  checkMethod('power', router);
}
