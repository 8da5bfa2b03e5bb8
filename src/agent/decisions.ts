import {
  DEVICE_MODE_FEATURES,
  applyChange,
  type DeviceModeChange,
  type DeviceModeFeature,
  type DeviceModeState,
  type DeviceMode,
} from '../routeros/device-mode.js';

/** The device-mode a router must show after an approved change is confirmed. */
export interface ExpectedDeviceMode {
  mode: DeviceMode;
  features: Record<DeviceModeFeature, boolean>;
  flagged: boolean;
  /**
   * dmconfirm never changes flagging-enabled or allowed-versions: they must come back as they
   * were. Absent only in journal records written before they were kept; such a record cannot
   * tell, so the read-back counts them as different (fail closed).
   */
  flaggingEnabled?: boolean;
  allowedVersions?: string;
}

export function expectedAfter(before: DeviceModeState, change: DeviceModeChange): ExpectedDeviceMode {
  return {
    ...applyChange(before, change),
    flaggingEnabled: before.flaggingEnabled,
    allowedVersions: before.allowedVersions,
  };
}

export interface Difference {
  field: string;
  expected: string | boolean;
  actual: string | boolean;
}

/**
 * Compares what came back with what was approved. Any difference is a security alarm
 * (someone else's pending change was confirmed by our action), never a reason to retry.
 */
export function compareDeviceMode(expected: ExpectedDeviceMode, actual: DeviceModeState): Difference[] {
  const differences: Difference[] = [];
  if (expected.mode !== actual.mode) differences.push({ field: 'mode', expected: expected.mode, actual: actual.mode });
  if (expected.flagged !== actual.flagged)
    differences.push({ field: 'flagged', expected: expected.flagged, actual: actual.flagged });
  if (expected.flaggingEnabled !== actual.flaggingEnabled) {
    differences.push({
      field: 'flagging-enabled',
      expected: expected.flaggingEnabled ?? 'not recorded',
      actual: actual.flaggingEnabled,
    });
  }
  if (expected.allowedVersions !== actual.allowedVersions) {
    differences.push({
      field: 'allowed-versions',
      expected: expected.allowedVersions ?? 'not recorded',
      actual: actual.allowedVersions,
    });
  }
  for (const feature of DEVICE_MODE_FEATURES) {
    if (expected.features[feature] !== actual.features[feature]) {
      differences.push({ field: feature, expected: expected.features[feature], actual: actual.features[feature] });
    }
  }
  return differences;
}

export type AttemptCheck = { ok: true } | { ok: false; reason: 'attempt-count-changed'; detail: string };

/**
 * Right before acting, attempt-count must be exactly what our own knowledge predicts. Any
 * other value means somebody else requested a change we would be confirming.
 */
export function checkAttemptCount(expected: number, current: number): AttemptCheck {
  if (current === expected) return { ok: true };
  return {
    ok: false,
    reason: 'attempt-count-changed',
    detail: `attempt-count is ${current}, expected ${expected}: another update was requested meanwhile`,
  };
}

export type TimeCheck = { ok: true; remainingMs: number } | { ok: false; reason: 'too-late'; detail: string };

/**
 * An action may start only if it can finish, with margin, before the activation deadline;
 * a power cut that ends after the change expired would reboot the router for nothing.
 */
export function checkTimeLeft(
  nowMonoMs: number,
  deadlineMonoMs: number,
  actionMs: number,
  marginMs: number,
): TimeCheck {
  const remainingMs = Math.floor(deadlineMonoMs - nowMonoMs);
  if (remainingMs >= actionMs + marginMs) return { ok: true, remainingMs };
  return {
    ok: false,
    reason: 'too-late',
    detail:
      `${Math.max(remainingMs, 0)} ms of activation time left; ` +
      `the action needs ${actionMs} ms plus ${marginMs} ms margin`,
  };
}

/** How long an action occupies the activation window, by method. */
export function actionDurationMs(method: 'button' | 'power', timing: { pressMs: number; offMs: number }): number {
  return method === 'button' ? timing.pressMs : timing.offMs;
}
