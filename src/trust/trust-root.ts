import { z } from 'zod';
import { DEVICE_MODES, DEVICE_MODE_FEATURES } from '../routeros/device-mode.js';
import { checkHeader, parseEnvelope, verifyEnvelope } from './jws.js';
import type { Envelope } from './jws.js';
import { publicKeyFromRaw } from './keys.js';
import type { PublicKeyInfo } from './keys.js';
import { TYP } from './messages.js';
import { refuse, TrustError } from './refusal.js';

const roleSchema = z.strictObject({
  keyIds: z.array(z.string().min(1)).min(1),
  threshold: z.number().int().min(1),
});
const thresholdValue = z.number().int().min(1).max(16);

/**
 * The trust root (TUF-like): keys, the `root` role that signs trust roots and the
 * `approver` role that approves operations, each with a threshold, plus optional stricter
 * rules for risky features. It is a JWS itself, signed by the root role.
 */
export const rootPayloadSchema = z.strictObject({
  type: z.literal('dmconfirm-trust-root'),
  version: z.number().int().min(1),
  keys: z.record(z.string(), z.strictObject({ name: z.string().min(1).max(64), publicKey: z.string() })),
  roles: z.strictObject({ root: roleSchema, approver: roleSchema }),
  rules: z
    .strictObject({
      /** Approvals needed when a change can turn this feature on. */
      features: z.partialRecord(z.enum(DEVICE_MODE_FEATURES), thresholdValue).optional(),
      /** Approvals needed to set this mode. */
      modes: z.partialRecord(z.enum(DEVICE_MODES), thresholdValue).optional(),
      flaggedClear: thresholdValue.optional(),
      powerCycle: thresholdValue.optional(),
    })
    .optional(),
});
export type RootPayload = z.infer<typeof rootPayloadSchema>;
export type RoleName = keyof RootPayload['roles'];

/** A structurally valid trust root; whether its signatures suffice is checked separately. */
export class TrustRoot {
  readonly keys: ReadonlyMap<string, PublicKeyInfo>;

  private constructor(
    readonly payload: RootPayload,
    /** The envelope exactly as received; stored byte for byte. */
    readonly text: string,
    readonly envelope: Envelope,
    keys: Map<string, PublicKeyInfo>,
  ) {
    this.keys = keys;
  }

  get version(): number {
    return this.payload.version;
  }

  /** Validates keys, roles and thresholds; does not look at signatures. */
  static fromEnvelopeText(text: string): TrustRoot {
    const envelope = parseEnvelope(text);
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8'));
    } catch {
      return refuse('root-invalid', 'trust root payload is not JSON');
    }
    const payload = validatePayload(raw);
    return new TrustRoot(payload, text, envelope, buildKeys(payload));
  }

  lookup(kid: string): PublicKeyInfo | undefined {
    return this.keys.get(kid);
  }

  roleKeyIds(role: RoleName): ReadonlySet<string> {
    return new Set(this.payload.roles[role].keyIds);
  }

  threshold(role: RoleName): number {
    return this.payload.roles[role].threshold;
  }

  nameOf(keyId: string): string {
    return this.keys.get(keyId)?.name ?? keyId;
  }
}

export function validatePayload(raw: unknown): RootPayload {
  const parsed = rootPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse('root-invalid', `trust root: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  const payload = parsed.data;
  buildKeys(payload);
  for (const role of ['root', 'approver'] as const) {
    const { keyIds, threshold } = payload.roles[role];
    if (new Set(keyIds).size !== keyIds.length) refuse('root-invalid', `role ${role} lists a key twice`);
    for (const id of keyIds) if (!payload.keys[id]) refuse('root-invalid', `role ${role} names key ${id}, which is not in keys`);
    if (threshold > keyIds.length) refuse('root-invalid', `role ${role} needs ${threshold} signatures but has ${keyIds.length} keys`);
  }
  const approvers = payload.roles.approver.keyIds.length;
  const rules = payload.rules ?? {};
  const ruleValues = [...Object.values(rules.features ?? {}), ...Object.values(rules.modes ?? {}), rules.flaggedClear, rules.powerCycle];
  for (const value of ruleValues) {
    if (value !== undefined && value > approvers) refuse('root-invalid', `a rule needs ${value} approvers but only ${approvers} exist`);
  }
  return payload;
}

function buildKeys(payload: RootPayload): Map<string, PublicKeyInfo> {
  const keys = new Map<string, PublicKeyInfo>();
  for (const [id, entry] of Object.entries(payload.keys)) {
    let info: PublicKeyInfo;
    try {
      info = publicKeyFromRaw(entry.publicKey, entry.name);
    } catch (error) {
      return refuse('root-invalid', error instanceof TrustError ? error.detail : String(error));
    }
    // The id is recomputed from the bytes; a root that claims another id for a key is refused.
    if (info.keyId !== id) refuse('root-invalid', `key "${entry.name}" is listed as ${id} but its bytes give ${info.keyId}`);
    keys.set(id, info);
  }
  return keys;
}

/** Distinct verified key ids of `role` among the signers. */
function countRole(root: TrustRoot, signers: PublicKeyInfo[], role: RoleName): Set<string> {
  const members = root.roleKeyIds(role);
  return new Set(signers.map((s) => s.keyId).filter((id) => members.has(id)));
}

async function verifiedSigners(candidate: TrustRoot, previous?: TrustRoot): Promise<PublicKeyInfo[]> {
  // Signatures by keys neither root knows are ignored rather than refused: a rotated
  // root legitimately carries signatures that only an older root can check.
  const lookup = (kid: string) => candidate.lookup(kid) ?? previous?.lookup(kid);
  const known = candidate.envelope.signatures.filter((s, i) => lookup(checkHeader(s.protected, TYP.root, i).kid) !== undefined);
  if (known.length === 0) refuse('root-threshold', `trust root v${candidate.version} carries no signature by a known root key`);
  const { signers } = await verifyEnvelope(
    { payload: candidate.envelope.payload, signatures: known },
    TYP.root,
    lookup,
    `trust root v${candidate.version}${previous ? ` or v${previous.version}` : ''}`,
  );
  return signers;
}

/** Checks a root on its own: a threshold of its own root keys signed it. */
export async function verifySelfSigned(candidate: TrustRoot): Promise<void> {
  const signers = await verifiedSigners(candidate);
  const count = countRole(candidate, signers, 'root').size;
  const need = candidate.threshold('root');
  if (count < need) refuse('root-threshold', `trust root v${candidate.version} has ${count} of ${need} root signatures`);
}

/**
 * Whether `candidate` may replace `current`: exactly the next version, signed by a
 * threshold of the old root keys AND of the new ones. Same version and bytes is a no-op.
 */
export async function verifyRotation(current: TrustRoot, candidate: TrustRoot): Promise<'unchanged' | 'rotated'> {
  if (candidate.version < current.version) {
    refuse('root-rollback', `trust root v${candidate.version} is older than the accepted v${current.version}`);
  }
  if (candidate.version === current.version) {
    if (candidate.envelope.payload === current.envelope.payload) return 'unchanged';
    refuse('root-version-conflict', `a different trust root claims the accepted version ${current.version}`);
  }
  if (candidate.version !== current.version + 1) {
    refuse('root-version-gap', `trust root v${candidate.version} skips versions after v${current.version}; apply each in turn`);
  }
  const signers = await verifiedSigners(candidate, current);
  const newCount = countRole(candidate, signers, 'root').size;
  const oldCount = countRole(current, signers, 'root').size;
  if (oldCount < current.threshold('root')) {
    refuse(
      'root-rotation-threshold',
      `v${candidate.version} has ${oldCount} of ${current.threshold('root')} signatures from the root keys of v${current.version}`,
    );
  }
  if (newCount < candidate.threshold('root')) {
    refuse('root-threshold', `v${candidate.version} has ${newCount} of ${candidate.threshold('root')} signatures from its own root keys`);
  }
  return 'rotated';
}
