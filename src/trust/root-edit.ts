import type { DeviceMode, DeviceModeFeature } from '../routeros/device-mode.js';
import type { PublicKeyInfo } from './keys.js';
import { refuse } from './refusal.js';
import { validatePayload } from './trust-root.js';
import type { RoleName, RootPayload } from './trust-root.js';

/**
 * Pure edits of a trust root payload for `dmconfirm trust ...`. Each returns a new,
 * validated payload; editing a root that already carries signatures starts the next
 * version (the old signatures cannot cover the new content).
 */

/** Stricter approval counts suggested by issue 4 for the riskiest changes. */
export const SUGGESTED_RULES = {
  features: { socks: 2, 'traffic-gen': 2, 'install-any-version': 2, container: 1 },
  flaggedClear: 2,
} as const;

export interface InitOptions {
  rootKeys: PublicKeyInfo[];
  approverKeys: PublicKeyInfo[];
  rootThreshold: number;
  approverThreshold: number;
  suggestedRules: boolean;
}

function keyEntry(key: PublicKeyInfo) {
  return { name: key.name, publicKey: key.publicKey };
}

export function initRoot(options: InitOptions): RootPayload {
  const keys: RootPayload['keys'] = {};
  for (const key of [...options.rootKeys, ...options.approverKeys]) keys[key.keyId] = keyEntry(key);
  const payload: RootPayload = {
    type: 'dmconfirm-trust-root',
    version: 1,
    keys,
    roles: {
      root: { keyIds: unique(options.rootKeys.map((k) => k.keyId)), threshold: options.rootThreshold },
      approver: { keyIds: unique(options.approverKeys.map((k) => k.keyId)), threshold: options.approverThreshold },
    },
  };
  // Rules above the number of approvers could never be met; they are left out then.
  if (options.suggestedRules && payload.roles.approver.keyIds.length >= 2) {
    payload.rules = { features: { ...SUGGESTED_RULES.features }, flaggedClear: SUGGESTED_RULES.flaggedClear };
  }
  return validatePayload(payload);
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** The version an edit produces: the same for an unsigned draft, the next one otherwise. */
export function editedVersion(payload: RootPayload, signed: boolean): RootPayload {
  return signed ? { ...payload, version: payload.version + 1 } : payload;
}

export function addKey(payload: RootPayload, key: PublicKeyInfo, roles: RoleName[]): RootPayload {
  if (roles.length === 0) refuse('root-invalid', 'give at least one role (root, approver)');
  const next = structuredClone(payload);
  next.keys[key.keyId] = keyEntry(key);
  for (const role of roles) next.roles[role].keyIds = unique([...next.roles[role].keyIds, key.keyId]);
  return validatePayload(next);
}

/** Removes (revokes) a key everywhere, by key id or name. */
export function removeKey(payload: RootPayload, idOrName: string): RootPayload {
  const matches = Object.entries(payload.keys).filter(([id, k]) => id === idOrName || k.name === idOrName);
  if (matches.length !== 1) refuse('root-invalid', matches.length === 0 ? `no key ${idOrName}` : `name ${idOrName} is ambiguous; use the key id`);
  const [id] = matches[0]!;
  const next = structuredClone(payload);
  delete next.keys[id];
  for (const role of ['root', 'approver'] as const) next.roles[role].keyIds = next.roles[role].keyIds.filter((k) => k !== id);
  return validatePayload(next);
}

export type ThresholdTarget =
  | { role: RoleName }
  | { feature: DeviceModeFeature }
  | { mode: DeviceMode }
  | { flaggedClear: true }
  | { powerCycle: true };

/** Sets a role threshold or an approval rule; 0 removes a rule. */
export function setThreshold(payload: RootPayload, target: ThresholdTarget, value: number): RootPayload {
  const next = structuredClone(payload);
  if ('role' in target) {
    if (value < 1) refuse('root-invalid', 'a role threshold is at least 1');
    next.roles[target.role].threshold = value;
    return validatePayload(next);
  }
  const rules = (next.rules ??= {});
  const v = value === 0 ? undefined : value;
  if ('feature' in target) rules.features = { ...rules.features, [target.feature]: v };
  else if ('mode' in target) rules.modes = { ...rules.modes, [target.mode]: v };
  else if ('flaggedClear' in target) rules.flaggedClear = v;
  else rules.powerCycle = v;
  return validatePayload(JSON.parse(JSON.stringify(next)));
}
