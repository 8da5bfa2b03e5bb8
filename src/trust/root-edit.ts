import type { DeviceMode, DeviceModeFeature } from '../routeros/device-mode.js';
import type { PublicKeyInfo } from './keys.js';
import { refuse } from './refusal.js';
import { identitiesOfLegacy, parseLegacy, ROOT_SCHEMA, sameName, validatePayload } from './root-schema.js';
import type { CountedRole, Identity, KeyEntry, RoleName, RootPayload } from './root-schema.js';

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
  /** Keys of identities that may ask for orders (people or automations such as ops-bot). */
  requesterKeys?: PublicKeyInfo[];
  rootThreshold: number;
  approverThreshold: number;
  suggestedRules: boolean;
}

function keyEntry(key: PublicKeyInfo): KeyEntry {
  if (key.ssh)
    return {
      kind: 'ssh',
      keyId: key.keyId,
      publicKey: key.publicKey,
      ...(key.ssh.verifyRequired ? { verifyRequired: true } : {}),
    };
  return { kind: 'ed25519', keyId: key.keyId, publicKey: key.publicKey };
}

/**
 * Version 1 of a root. Each key file's name is its holder's identity; one key may be given
 * for several roles. Two different keys under one name are refused here: whether they are
 * the same person is said explicitly afterwards with `add-key --same-person`.
 */
export function initRoot(options: InitOptions): RootPayload {
  const identities: Identity[] = [];
  const add = (key: PublicKeyInfo, role: RoleName) => {
    const existing = identities.find((i) => sameName(i.name, key.name));
    if (!existing) {
      identities.push({ name: key.name, roles: [role], keys: [keyEntry(key)] });
      return;
    }
    if (existing.keys[0]!.keyId !== key.keyId) {
      refuse(
        'root-invalid',
        `two different keys are named "${key.name}"; add the second with "trust add-key --same-person" ` +
          'if it is the same person, or rename it',
      );
    }
    if (!existing.roles.includes(role)) existing.roles.push(role);
  };
  for (const key of options.rootKeys) add(key, 'root');
  for (const key of options.approverKeys) add(key, 'approver');
  for (const key of options.requesterKeys ?? []) add(key, 'requester');
  const payload: RootPayload = {
    type: 'dmconfirm-trust-root',
    schema: ROOT_SCHEMA,
    version: 1,
    identities,
    thresholds: { root: options.rootThreshold, approver: options.approverThreshold },
  };
  // Rules above the number of approvers could never be met; they are left out then.
  if (options.suggestedRules && identities.filter((i) => i.roles.includes('approver')).length >= 2) {
    payload.rules = { features: { ...SUGGESTED_RULES.features }, flaggedClear: SUGGESTED_RULES.flaggedClear };
  }
  return validatePayload(payload);
}

/** The version an edit produces: the same for an unsigned draft, the next one otherwise. */
export function editedVersion(payload: RootPayload, signed: boolean): RootPayload {
  return signed ? { ...payload, version: payload.version + 1 } : payload;
}

export interface AddKeyOptions {
  /** The identity the key belongs to; default: the key's own name. */
  identity?: string;
  /** Required to add a key to an identity that already exists: it is the same person. */
  samePerson?: boolean;
}

/**
 * Adds a key. Under a new name it is a new identity with `roles`; under an existing name
 * it joins that identity only with `samePerson` (roles then add to the person's roles).
 */
export function addKey(
  payload: RootPayload,
  key: PublicKeyInfo,
  roles: RoleName[],
  options: AddKeyOptions = {},
): RootPayload {
  const name = options.identity ?? key.name;
  const next = structuredClone(payload);
  const holder = next.identities.find((i) => i.keys.some((k) => k.keyId === key.keyId));
  const existing = next.identities.find((i) => sameName(i.name, name));
  if (holder && holder !== existing) refuse('root-invalid', `key ${key.keyId} already belongs to ${holder.name}`);
  if (existing) {
    if (!holder && options.samePerson !== true) {
      refuse(
        'root-invalid',
        `an identity named "${existing.name}" exists; if this key belongs to the same person add --same-person, ` +
          'otherwise give the key holder their own name (--identity NAME)',
      );
    }
    if (!holder) existing.keys.push(keyEntry(key));
    for (const role of roles) if (!existing.roles.includes(role)) existing.roles.push(role);
  } else {
    if (options.samePerson === true) refuse('root-invalid', `--same-person: there is no identity named "${name}" yet`);
    if (roles.length === 0)
      refuse('root-invalid', 'a new identity needs at least one role (root, approver, requester)');
    next.identities.push({ name, roles: [...new Set(roles)], keys: [keyEntry(key)] });
  }
  return validatePayload(next);
}

/** Removes (revokes) one key by its id, or a whole identity (all its keys) by its name. */
export function removeKey(payload: RootPayload, idOrName: string): RootPayload {
  const next = structuredClone(payload);
  const byName = next.identities.find((i) => i.name === idOrName);
  if (byName) next.identities = next.identities.filter((i) => i !== byName);
  else {
    const holder = next.identities.find((i) => i.keys.some((k) => k.keyId === idOrName));
    if (!holder) return refuse('root-invalid', `no identity or key id ${idOrName}`);
    holder.keys = holder.keys.filter((k) => k.keyId !== idOrName);
    if (holder.keys.length === 0) next.identities = next.identities.filter((i) => i !== holder);
  }
  return validatePayload(next);
}

export type ThresholdTarget =
  | { role: CountedRole }
  | { feature: DeviceModeFeature }
  | { mode: DeviceMode }
  | { flaggedClear: true }
  | { powerCycle: true };

/** Sets a role threshold or an approval rule; 0 removes a rule. */
export function setThreshold(payload: RootPayload, target: ThresholdTarget, value: number): RootPayload {
  const next = structuredClone(payload);
  if ('role' in target) {
    if (value < 1) refuse('root-invalid', 'a role threshold is at least 1');
    next.thresholds[target.role] = value;
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

/**
 * The schema-2 successor of a schema-1 root: keys that shared a name become one identity,
 * keys without a role become requesters; same thresholds and rules, the next version.
 * The root holders of the old root and of this one must sign it (the rotation rule).
 */
export function migrateLegacy(raw: unknown): RootPayload {
  const legacy = parseLegacy(raw);
  return validatePayload({
    type: 'dmconfirm-trust-root',
    schema: ROOT_SCHEMA,
    version: legacy.version + 1,
    ...identitiesOfLegacy(legacy),
    ...(legacy.rules ? { rules: legacy.rules } : {}),
  });
}
