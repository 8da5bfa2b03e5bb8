import { checkHeader, parseEnvelope, verifyEnvelope } from './jws.js';
import type { Envelope } from './jws.js';
import { publicKeyFromRaw } from './keys.js';
import { keyMaterial, sshKeyInfo } from './ssh/trusted-key.js';
import type { PublicKeyInfo } from './keys.js';
import { TYP } from './messages.js';
import { refuse, TrustError } from './refusal.js';
import { identitiesOfLegacy, parseLegacy, validatePayload } from './root-schema.js';
import type { CountedRole, Identity, RoleName, RootPayload } from './root-schema.js';
import { strictJsonOrRefuse } from './strict-json.js';

export { validatePayload } from './root-schema.js';
export type { CountedRole, Identity, RoleName, RootPayload } from './root-schema.js';

/** One identity as the verifier uses it: its roles and the ids of all its keys. */
export interface Person {
  name: string;
  roles: ReadonlySet<RoleName>;
  keyIds: ReadonlySet<string>;
}

/**
 * A structurally valid trust root: identities with roles and keys, thresholds that count
 * identities, optional stricter rules. It is a JWS itself, signed by the root role.
 * `schema` 1 roots are read only to be rotated away from (they authorize nothing).
 */
export class TrustRoot {
  readonly keys: ReadonlyMap<string, PublicKeyInfo>;
  readonly people: readonly Person[];
  readonly #owner = new Map<string, Person>();

  private constructor(
    readonly schema: 1 | 2,
    readonly version: number,
    readonly model: Pick<RootPayload, 'identities' | 'thresholds' | 'rules'>,
    /** The envelope exactly as received; stored byte for byte. */
    readonly text: string,
    readonly envelope: Envelope,
  ) {
    const keys = new Map<string, PublicKeyInfo>();
    const people: Person[] = [];
    for (const identity of model.identities) {
      const person: Person = {
        name: identity.name,
        roles: new Set(identity.roles),
        keyIds: new Set(identity.keys.map((k) => k.keyId)),
      };
      people.push(person);
      for (const info of keysOf(identity)) {
        // The same key bytes under two kinds (Ed25519 and SSH, plain and security key) would count twice.
        const twin = [...keys.values()].find((k) => keyMaterial(k) === keyMaterial(info));
        if (twin)
          refuse(
            'root-invalid',
            `keys ${twin.keyId} (${twin.name}) and ${info.keyId} (${info.name}) are the same key bytes`,
          );
        keys.set(info.keyId, info);
        this.#owner.set(info.keyId, person);
      }
    }
    this.keys = keys;
    this.people = people;
  }

  /** Validates identities, keys, roles and thresholds; does not look at signatures. */
  static fromEnvelopeText(text: string): TrustRoot {
    const envelope = parseEnvelope(text);
    const raw = strictJsonOrRefuse(Buffer.from(envelope.payload, 'base64url'), 'root-invalid', 'trust root payload');
    if (raw !== null && typeof raw === 'object' && !('schema' in raw)) {
      const legacy = parseLegacy(raw);
      return new TrustRoot(
        1,
        legacy.version,
        { ...identitiesOfLegacy(legacy), ...(legacy.rules ? { rules: legacy.rules } : {}) },
        text,
        envelope,
      );
    }
    const payload = validatePayload(raw);
    return new TrustRoot(2, payload.version, payload, text, envelope);
  }

  lookup(kid: string): PublicKeyInfo | undefined {
    return this.keys.get(kid);
  }

  /** The identity a key belongs to. */
  ownerOf(keyId: string): Person | undefined {
    return this.#owner.get(keyId);
  }

  /** The identity with exactly this name. */
  person(name: string): Person | undefined {
    return this.people.find((p) => p.name === name);
  }

  threshold(role: CountedRole): number {
    return this.model.thresholds[role];
  }

  holders(role: RoleName): Person[] {
    return this.people.filter((p) => p.roles.has(role));
  }

  /** Schema-1 roots can still be rotated away from, but authorize no order. */
  requireCurrentSchema(): void {
    if (this.schema !== 2) {
      refuse(
        'root-outdated',
        `trust root v${this.version} is in the schema-1 format, which has no identities or requesters; ` +
          'the root holders must sign its successor made by "dmconfirm trust migrate" before any order is accepted',
      );
    }
  }
}

/** Every key of an identity; the id is recomputed from the bytes and must match the listed one. */
function keysOf(identity: Identity): PublicKeyInfo[] {
  return identity.keys.map((entry) => {
    let info: PublicKeyInfo;
    try {
      info = entry.kind === 'ssh' ? sshKeyInfo(entry, identity.name) : publicKeyFromRaw(entry.publicKey, identity.name);
    } catch (error) {
      return refuse('root-invalid', error instanceof TrustError ? error.detail : String(error));
    }
    if (info.keyId !== entry.keyId)
      refuse(
        'root-invalid',
        `a key of "${identity.name}" is listed as ${entry.keyId} but its bytes give ${info.keyId}`,
      );
    return info;
  });
}

/** Distinct identities of `root` holding `role` among the verified signers. */
export function countPeople(root: TrustRoot, signers: PublicKeyInfo[], role: CountedRole): Set<string> {
  const names = new Set<string>();
  for (const signer of signers) {
    const person = root.ownerOf(signer.keyId);
    if (person?.roles.has(role)) names.add(person.name);
  }
  return names;
}

async function verifiedSigners(candidate: TrustRoot, previous?: TrustRoot): Promise<PublicKeyInfo[]> {
  // Signatures by keys neither root knows are ignored rather than refused: a rotated
  // root legitimately carries signatures that only an older root can check.
  const lookup = (kid: string) => candidate.lookup(kid) ?? previous?.lookup(kid);
  const known = candidate.envelope.signatures.filter(
    (s, i) => lookup(checkHeader(s.protected, TYP.root, i).kid) !== undefined,
  );
  if (known.length === 0)
    refuse('root-threshold', `trust root v${candidate.version} carries no signature by a known root key`);
  const { signers } = await verifyEnvelope(
    { payload: candidate.envelope.payload, signatures: known },
    TYP.root,
    lookup,
    `trust root v${candidate.version}${previous ? ` or v${previous.version}` : ''}`,
  );
  return signers;
}

function describeCount(root: TrustRoot, counted: Set<string>): string {
  const names = [...counted].join(', ') || 'none';
  return `${counted.size} of ${root.threshold('root')} root holders of v${root.version} (${names})`;
}

/** Checks a root on its own: a threshold of its own root holders signed it. */
export async function verifySelfSigned(candidate: TrustRoot): Promise<void> {
  const counted = countPeople(candidate, await verifiedSigners(candidate), 'root');
  if (counted.size < candidate.threshold('root'))
    refuse('root-threshold', `trust root v${candidate.version} is signed by ${describeCount(candidate, counted)}`);
}

/**
 * Whether `candidate` may replace `current`: exactly the next version, signed by a
 * threshold of the old root holders AND of the new ones (people, each counted once).
 * Same version and bytes is a no-op.
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
    refuse(
      'root-version-gap',
      `trust root v${candidate.version} skips versions after v${current.version}; apply each in turn`,
    );
  }
  if (candidate.schema < current.schema)
    refuse('root-outdated', `trust root v${candidate.version} goes back to the schema-1 format`);
  const signers = await verifiedSigners(candidate, current);
  const oldCount = countPeople(current, signers, 'root');
  const newCount = countPeople(candidate, signers, 'root');
  if (oldCount.size < current.threshold('root'))
    refuse('root-rotation-threshold', `v${candidate.version} is signed by ${describeCount(current, oldCount)}`);
  if (newCount.size < candidate.threshold('root'))
    refuse('root-threshold', `v${candidate.version} is signed by ${describeCount(candidate, newCount)}`);
  return 'rotated';
}
