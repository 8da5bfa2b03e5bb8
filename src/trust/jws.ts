import { FlattenedSign, flattenedVerify } from 'jose';
import { z } from 'zod';
import type { PublicKeyInfo, SigningKey } from './keys.js';
import { refuse } from './refusal.js';
import { sshSignatureEntry, SSHSIG_ALG, verifySshEntry } from './ssh/jws-ssh.js';
import type { SshSigningKey } from './ssh/ssh-sign.js';
import type { SkEvidence } from './ssh/sshsig-verify.js';
import { strictJsonOrRefuse } from './strict-json.js';

/**
 * JWS JSON general serialization, restricted to what dmconfirm needs: Ed25519 only (EdDSA,
 * or an SSHSIG by an SSH key the trust root lists: ssh/jws-ssh.ts), an explicit `typ`, `kid`
 * in the protected header, no unprotected headers, no `b64`/`crit`.
 * Signatures are checked over the exact bytes received; nothing is re-serialized.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_SIGNATURES = 16;
const ALGORITHMS = ['EdDSA', 'Ed25519'];
/** Header algorithms: Ed25519, and SSHSIG for SSH keys only (see ssh/jws-ssh.ts). */
const HEADER_ALGORITHMS = [...ALGORITHMS, SSHSIG_ALG];
const ALLOWED_HEADER_FIELDS = new Set(['alg', 'typ', 'kid']);

const b64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');
// An empty signature is let through parsing so that `alg: none` is refused by name below.
const signatureEntry = z.strictObject({ protected: b64url.min(1), signature: b64url });
const envelopeSchema = z.strictObject({
  payload: b64url.min(1),
  signatures: z.array(signatureEntry).max(MAX_SIGNATURES),
});

/** A general JWS; `signatures` may be empty only in a draft waiting for co-signers. */
export type Envelope = z.infer<typeof envelopeSchema>;

export interface SignatureHeader {
  alg: string;
  typ: string;
  kid: string;
}

function decodeJson(b64: string, what: string): unknown {
  return strictJsonOrRefuse(Buffer.from(b64, 'base64url'), 'malformed', what);
}

function checkSize(size: number): void {
  if (size > MAX_MESSAGE_BYTES) refuse('too-large', `message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}`);
}

/** Parses the envelope without trusting anything in it yet. */
export function parseEnvelope(input: Uint8Array | string): Envelope {
  checkSize(typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength);
  return envelopeOf(strictJsonOrRefuse(input, 'malformed', 'message'));
}

/**
 * An envelope nested in a message strict JSON has already read (a campaign order carries
 * two): checked like one received alone, its size being that of its JSON, without reading
 * the outer message's bytes again.
 */
export function parseNestedEnvelope(json: unknown): Envelope {
  checkSize(Buffer.byteLength(JSON.stringify(json)));
  return envelopeOf(json);
}

/** The envelope's checks on its JSON value (read by strictJson). */
function envelopeOf(json: unknown): Envelope {
  if (json !== null && typeof json === 'object' && Array.isArray((json as { signatures?: unknown }).signatures)) {
    const sigs = (json as { signatures: unknown[] }).signatures;
    if (sigs.some((s) => s !== null && typeof s === 'object' && 'header' in s)) {
      refuse('unprotected-header', 'a signature carries an unprotected header; every header must be signed');
    }
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    return refuse(
      'malformed',
      `not a JWS in general JSON serialization: ${parsed.error.issues[0]?.path.join('.') || '(top)'} ` +
        `${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  // Decoders ignore the unused low bits of the last character, so one signature has
  // several spellings; only the canonical one is accepted, so one message has one form.
  const parts = [parsed.data.payload, ...parsed.data.signatures.flatMap((s) => [s.protected, s.signature])];
  if (parts.some((part) => Buffer.from(part, 'base64url').toString('base64url') !== part)) {
    refuse('malformed', 'a base64url part is not in canonical form (unpadded, no unused bits set)');
  }
  return parsed.data;
}

/** Checks one protected header against the strict profile. */
export function checkHeader(protectedB64: string, expectedTyp: string, index: number): SignatureHeader {
  const header = decodeJson(protectedB64, `protected header of signature ${index + 1}`);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    return refuse('malformed', `protected header of signature ${index + 1} is not an object`);
  }
  const h = header as Record<string, unknown>;
  const at = `signature ${index + 1}`;
  if ('b64' in h) refuse('b64-forbidden', `${at}: the "b64" header is not allowed (payload must be base64url)`);
  if ('crit' in h) refuse('crit-forbidden', `${at}: the "crit" header is not allowed`);
  if (typeof h.alg !== 'string' || !HEADER_ALGORITHMS.includes(h.alg)) {
    const alg = JSON.stringify(h.alg ?? null);
    refuse('bad-alg', `${at}: algorithm ${alg} is not allowed; only Ed25519 (EdDSA), or SSHSIG by an SSH key`);
  }
  if (h.typ !== expectedTyp) {
    refuse('bad-typ', `${at}: typ is ${JSON.stringify(h.typ ?? null)}, expected "${expectedTyp}"`);
  }
  if (typeof h.kid !== 'string' || h.kid.length === 0 || h.kid.length > 128)
    refuse('bad-header', `${at}: no key id ("kid")`);
  const extra = Object.keys(h).filter((k) => !ALLOWED_HEADER_FIELDS.has(k));
  if (extra.length > 0) refuse('bad-header', `${at}: unexpected header field(s) ${extra.join(', ')}`);
  return { alg: h.alg, typ: h.typ, kid: h.kid };
}

export interface VerifiedEnvelope {
  /** The payload bytes every signature covers. */
  payload: Uint8Array;
  /** One entry per signature, in order: the locally computed key id of the verifying key. */
  signers: PublicKeyInfo[];
  /** What each security-key signature proved (counter, flags); the caller checks the counters. */
  skEvidence: SkEvidence[];
}

/**
 * Verifies every signature. Any signature that fails refuses the whole message: a message
 * carrying a forged or unknown signature is never partly trusted.
 */
export async function verifyEnvelope(
  envelope: Envelope,
  expectedTyp: string,
  lookup: (kid: string) => PublicKeyInfo | undefined,
  keySource: string,
): Promise<VerifiedEnvelope> {
  if (envelope.signatures.length === 0) refuse('too-few-approvers', 'the message carries no signatures');
  const headers = envelope.signatures.map((s, i) => checkHeader(s.protected, expectedTyp, i));
  // Every signature is checked at once (the crypto runs off the event loop, on several
  // threads), and the first that fails in the envelope's order is the one refused, as if
  // they had been checked one by one.
  const checks = await Promise.allSettled(
    envelope.signatures.map(async (entry, i) => {
      const { kid, alg } = headers[i]!;
      const key = lookup(kid);
      if (!key) refuse('unknown-key', `signature ${i + 1}: key ${kid} is not in ${keySource} (unknown or revoked)`);
      const at = `signature ${i + 1} (key "${key.name}" ${kid})`;
      if (key.ssh) return { key, evidence: await verifySshEntry(entry, envelope.payload, alg, key.ssh, at) };
      if (alg === SSHSIG_ALG) refuse('bad-alg', `${at}: no SSH key, it cannot sign as ${SSHSIG_ALG}`);
      const flat = { protected: entry.protected, payload: envelope.payload, signature: entry.signature };
      try {
        await flattenedVerify(flat, key.key, { algorithms: ALGORITHMS });
      } catch {
        refuse('bad-signature', `${at} does not verify: wrong key or tampered message`);
      }
      return { key, evidence: undefined };
    }),
  );
  const signers: PublicKeyInfo[] = [];
  const skEvidence: SkEvidence[] = [];
  for (const check of checks) {
    if (check.status === 'rejected') throw check.reason;
    signers.push(check.value.key);
    if (check.value.evidence) skEvidence.push(check.value.evidence);
  }
  return { payload: Buffer.from(envelope.payload, 'base64url'), signers, skEvidence };
}

/** Decodes the payload of an envelope without verifying it (drafts, display). */
export function unverifiedPayload(envelope: Envelope): unknown {
  return strictJsonOrRefuse(Buffer.from(envelope.payload, 'base64url'), 'bad-payload', 'payload');
}

/**
 * A signed message read once: its envelope and its payload, both strictly parsed, nothing
 * verified yet. The agent reads each inbound message this way at the door and hands the
 * result on (routing, the quoted challenge, verification, the message itself) instead of
 * parsing the same bytes again at every step.
 */
export interface OpenedEnvelope {
  readonly envelope: Envelope;
  /** The payload's JSON value (unverified until verifyEnvelope has checked the signatures over it). */
  readonly payload: unknown;
}

/** The bytes of a signed message, or the message already read by openEnvelope. */
export type SignedInput = Uint8Array | string | OpenedEnvelope;

/** Every OpenedEnvelope openEnvelope made: no other object passes for one (its payload is what was read). */
const OPENED = new WeakSet<object>();

/** Freezes a JSON value and everything in it (a reading nothing may change afterwards). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads a signed message once (see OpenedEnvelope), frozen; one this function already read
 * is returned as it is, and any other object is refused (a payload that is not the one the
 * signatures cover must never reach a verifier).
 */
export function openEnvelope(input: SignedInput): OpenedEnvelope {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    if (!OPENED.has(input)) throw new TypeError('not an envelope read by openEnvelope');
    return input;
  }
  return opened(parseEnvelope(input));
}

/** openEnvelope of an envelope nested in a message already read (parseNestedEnvelope). */
export function openNestedEnvelope(json: unknown): OpenedEnvelope {
  return opened(parseNestedEnvelope(json));
}

function opened(envelope: Envelope): OpenedEnvelope {
  const reading = deepFreeze({ envelope, payload: unverifiedPayload(envelope) });
  OPENED.add(reading);
  return reading;
}

/** What signs: a dmconfirm key file, or an SSH key in ssh-agent or behind ssh-keygen (ssh/ssh-sign.ts). */
export type Signer = SigningKey | SshSigningKey;

async function makeSignatureEntry(
  payloadB64: string,
  typ: string,
  key: Signer,
): Promise<{ protected: string; signature: string }> {
  if ('sshSigner' in key) return sshSignatureEntry(payloadB64, typ, key.sshSigner);
  const flat = await new FlattenedSign(Buffer.from(payloadB64, 'base64url'))
    .setProtectedHeader({ alg: 'EdDSA', typ, kid: key.keyId })
    .sign(key.privateKey);
  if (flat.payload !== payloadB64) {
    refuse('malformed', 'payload is not canonical base64url; refusing to co-sign different bytes');
  }
  return { protected: flat.protected!, signature: flat.signature };
}

/** A new envelope; with no key it is a draft for co-signers. */
export async function signPayload(payload: unknown, typ: string, key?: Signer): Promise<Envelope> {
  const payloadB64 = Buffer.from(new TextEncoder().encode(JSON.stringify(payload))).toString('base64url');
  return { payload: payloadB64, signatures: key ? [await makeSignatureEntry(payloadB64, typ, key)] : [] };
}

/** Refuses a co-signature by a key that has already signed (checking every header on the way). */
export function assertNotSigned(envelope: Envelope, typ: string, key: { keyId: string; name: string }): void {
  for (const [i, s] of envelope.signatures.entries()) {
    const header = checkHeader(s.protected, typ, i);
    if (header.kid === key.keyId)
      refuse('duplicate-signer', `key "${key.name}" (${key.keyId}) has already signed this`);
  }
}

/** Adds one signature over the exact payload already in the envelope. */
export async function cosignEnvelope(envelope: Envelope, typ: string, key: Signer): Promise<Envelope> {
  assertNotSigned(envelope, typ, key);
  const entry = await makeSignatureEntry(envelope.payload, typ, key);
  return { payload: envelope.payload, signatures: [...envelope.signatures, entry] };
}
