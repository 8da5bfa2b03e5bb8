import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEVICE_MODES, DEVICE_MODE_FEATURES, modeDefaults } from '../routeros/device-mode.js';
import type { DeviceModeChange, DeviceModeFeature } from '../routeros/device-mode.js';

/**
 * A device-mode change as signed messages carry it: strict, and never empty. There is no
 * member for `flagging-enabled` (or `allowed-versions`): dmconfirm never changes them, a
 * message naming them is refused, and the read-back after a confirmation checks that
 * flagging-enabled did not change.
 */
export const deviceModeChangeSchema = z
  .strictObject({
    mode: z.enum(DEVICE_MODES).optional(),
    features: z.partialRecord(z.enum(DEVICE_MODE_FEATURES), z.boolean()).optional(),
    flagged: z.literal(false).optional(),
  })
  .refine((c) => c.mode !== undefined || c.flagged !== undefined || Object.keys(c.features ?? {}).length > 0, {
    message: 'a change must set a mode, a feature or flagged=no',
  });

/**
 * One canonical form per change, so that `{features:{a:true,b:false}}` and the same values
 * in another key order give the same digest. Absent and `undefined` values are the same.
 */
export function canonicalChange(change: DeviceModeChange): string {
  const features = Object.entries(change.features ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ mode: change.mode ?? null, features, flagged: change.flagged === false ? false : null });
}

/** Binds approvals to one exact change: base64url SHA-256 of the canonical form. */
export function changeDigest(change: DeviceModeChange): string {
  return createHash('sha256').update(canonicalChange(change)).digest('base64url');
}

/**
 * Every feature the change may leave enabled that it names or that its mode enables.
 * A mode replaces the whole configuration, so all of that mode's features count. This is
 * the one answer to "what can this change turn on", used by local policy and by the trust
 * root's feature rules alike.
 */
export function featuresTurnedOn(change: DeviceModeChange): DeviceModeFeature[] {
  const on = new Set<DeviceModeFeature>();
  if (change.mode) {
    for (const [f, enabled] of Object.entries(modeDefaults(change.mode))) if (enabled) on.add(f as DeviceModeFeature);
  }
  for (const [f, enabled] of Object.entries(change.features ?? {})) {
    if (enabled === true) on.add(f as DeviceModeFeature);
    else if (enabled === false) on.delete(f as DeviceModeFeature);
  }
  return DEVICE_MODE_FEATURES.filter((f) => on.has(f));
}

/** One line for humans: "mode=rose container=yes flagged=no". */
export function describeChange(change: DeviceModeChange): string {
  const parts: string[] = [];
  if (change.mode) parts.push(`mode=${change.mode}`);
  for (const [f, v] of (JSON.parse(canonicalChange(change)) as { features: Array<[string, boolean]> }).features)
    parts.push(`${f}=${v ? 'yes' : 'no'}`);
  if (change.flagged === false) parts.push('flagged=no');
  return parts.join(' ');
}
