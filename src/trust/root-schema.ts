import { z } from 'zod';
import { DEVICE_MODES, DEVICE_MODE_FEATURES } from '../routeros/device-mode.js';
import { refuse } from './refusal.js';
import { sshKeyEntrySchema } from './ssh/trusted-key.js';

/**
 * The trust root payload, schema 2: people, not keys. Each identity (a person or an
 * automation such as ops-bot) has one unique name, its roles and one or more keys;
 * thresholds count distinct identities, never keys. Schema 1 (keys with a name each,
 * roles listing key ids) is still read, so that a v1-format root can be rotated to a
 * schema-2 one (`dmconfirm trust migrate`), but it no longer authorizes any order.
 */
export const ROOT_SCHEMA = 2;
export const ROLES = ['root', 'approver', 'requester'] as const;
export type RoleName = (typeof ROLES)[number];
/** Roles that have a threshold; a requester never counts toward anything. */
export type CountedRole = Exclude<RoleName, 'requester'>;

/**
 * Identity names appear in "approved by alice, bob": letters, digits and . _ @ - only, so
 * that no name can spell a comma, a space or a look-alike list of other names.
 */
export const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const identityName = z
  .string()
  .regex(IDENTITY_NAME, 'an identity name is 1-64 letters, digits or . _ @ - (starting with a letter or digit)');

/** One key of an identity: a dmconfirm Ed25519 key, or an SSH key (ssh/trusted-key.ts, issue 14). */
export const keyEntrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ed25519'),
    /** base64url SHA-256 of the raw key bytes; recomputed and checked on every load. */
    keyId: z.string().min(1).max(128),
    publicKey: z.string().min(1).max(1024),
  }),
  sshKeyEntrySchema,
]);
export type KeyEntry = z.infer<typeof keyEntrySchema>;

export const identitySchema = z.strictObject({
  name: identityName,
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
  keys: z.array(keyEntrySchema).min(1).max(16),
});
export type Identity = z.infer<typeof identitySchema>;

const thresholdValue = z.number().int().min(1).max(16);

export const rulesSchema = z.strictObject({
  /** Approvers (identities) needed when a change can turn this feature on. */
  features: z.partialRecord(z.enum(DEVICE_MODE_FEATURES), thresholdValue).optional(),
  /** Approvers (identities) needed to set this mode. */
  modes: z.partialRecord(z.enum(DEVICE_MODES), thresholdValue).optional(),
  flaggedClear: thresholdValue.optional(),
  powerCycle: thresholdValue.optional(),
});

export const rootPayloadSchema = z.strictObject({
  type: z.literal('dmconfirm-trust-root'),
  schema: z.literal(ROOT_SCHEMA),
  version: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
  identities: z.array(identitySchema).min(1).max(64),
  thresholds: z.strictObject({ root: thresholdValue, approver: thresholdValue }),
  rules: rulesSchema.optional(),
});
export type RootPayload = z.infer<typeof rootPayloadSchema>;

/** Schema 1, as written before identities existed; read only to rotate away from it. */
const legacyRole = z.strictObject({ keyIds: z.array(z.string().min(1)).min(1), threshold: z.number().int().min(1) });
export const legacyPayloadSchema = z.strictObject({
  type: z.literal('dmconfirm-trust-root'),
  version: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
  keys: z.record(z.string(), z.strictObject({ name: z.string().min(1).max(64), publicKey: z.string() })),
  roles: z.strictObject({ root: legacyRole, approver: legacyRole }),
  rules: rulesSchema.optional(),
});
export type LegacyPayload = z.infer<typeof legacyPayloadSchema>;

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`;
}

/** Same name ignoring case: "Alice" and "alice" are one name, never two people. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Checks the schema and every cross-field rule; does not look at key bytes (see TrustRoot). */
export function validatePayload(raw: unknown): RootPayload {
  if (raw !== null && typeof raw === 'object' && !('schema' in raw) && 'keys' in raw) {
    refuse(
      'root-outdated',
      'this trust root is in the schema-1 format (keys, not identities); convert it with "dmconfirm trust migrate"',
    );
  }
  const parsed = rootPayloadSchema.safeParse(raw);
  if (!parsed.success) return refuse('root-invalid', `trust root: ${issueText(parsed.error)}`);
  const payload = parsed.data;
  const names: string[] = [];
  const keyOwners = new Map<string, string>();
  for (const identity of payload.identities) {
    const clash = names.find((n) => sameName(n, identity.name));
    if (clash !== undefined)
      refuse('root-invalid', `two identities are named "${clash}" and "${identity.name}"; one name is one person`);
    names.push(identity.name);
    if (new Set(identity.roles).size !== identity.roles.length)
      refuse('root-invalid', `identity ${identity.name} lists a role twice`);
    for (const key of identity.keys) {
      const owner = keyOwners.get(key.keyId);
      if (owner !== undefined)
        refuse(
          'root-invalid',
          `key ${key.keyId} is listed under ${owner} and under ${identity.name}; a key belongs to one identity`,
        );
      keyOwners.set(key.keyId, identity.name);
    }
  }
  for (const role of ['root', 'approver'] as const) {
    const members = payload.identities.filter((i) => i.roles.includes(role)).length;
    const need = payload.thresholds[role];
    if (need > members) refuse('root-invalid', `role ${role} needs ${need} people but ${members} hold it`);
  }
  const approvers = payload.identities.filter((i) => i.roles.includes('approver')).length;
  const rules = payload.rules ?? {};
  const ruleValues = [
    ...Object.values(rules.features ?? {}),
    ...Object.values(rules.modes ?? {}),
    rules.flaggedClear,
    rules.powerCycle,
  ];
  for (const value of ruleValues) {
    if (value !== undefined && value > approvers)
      refuse('root-invalid', `a rule needs ${value} approvers but only ${approvers} people approve`);
  }
  return payload;
}

/**
 * The identity view of a schema-1 root. Keys that share a name become one identity (the
 * conservative reading: they can only count once); a key without a role could only
 * request, so it becomes a requester. Its thresholds are kept as they were.
 */
export function identitiesOfLegacy(legacy: LegacyPayload): Pick<RootPayload, 'identities' | 'thresholds'> {
  const identities: Identity[] = [];
  for (const [keyId, entry] of Object.entries(legacy.keys)) {
    const roles = (['root', 'approver'] as const).filter((r) => legacy.roles[r].keyIds.includes(keyId));
    const name = entry.name.replace(/[^A-Za-z0-9._@-]/g, '-').replace(/^[^A-Za-z0-9]/, 'k');
    let identity = identities.find((i) => sameName(i.name, name));
    if (!identity) identities.push((identity = { name, roles: [], keys: [] }));
    identity.keys.push({ kind: 'ed25519', keyId, publicKey: entry.publicKey });
    for (const role of roles.length > 0 ? roles : (['requester'] as const))
      if (!identity.roles.includes(role)) identity.roles.push(role);
  }
  return { identities, thresholds: { root: legacy.roles.root.threshold, approver: legacy.roles.approver.threshold } };
}

export function parseLegacy(raw: unknown): LegacyPayload {
  const parsed = legacyPayloadSchema.safeParse(raw);
  if (!parsed.success) return refuse('root-invalid', `trust root (schema 1): ${issueText(parsed.error)}`);
  return parsed.data;
}
