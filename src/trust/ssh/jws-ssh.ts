import { flattenedVerify } from 'jose';
import { refuse } from '../refusal.js';
import type { SshSigner } from './agent.js';
import { SK_SSH_ED25519 } from './public-key.js';
import type { SshPublicKey } from './public-key.js';
import { DMCONFIRM_SSHSIG_NAMESPACE } from './sshsig.js';
import { verifySshSig } from './sshsig-verify.js';
import type { SkEvidence } from './sshsig-verify.js';

/**
 * SSH keys in dmconfirm's JWS (JSON serialization). Each SSH signature is one ordinary entry
 * of `signatures`, `kid` = the key's SSH fingerprint (`SHA256:...`), in one of two forms:
 *
 * - `alg: "EdDSA"`: 64 raw Ed25519 bytes over the JWS signing input, as ssh-agent makes for
 *   an ssh-ed25519 key; any JOSE library verifies it with the key's 32 bytes.
 * - `alg: "SSHSIG"`: `signature` is the base64url binary SSHSIG (PROTOCOL.sshsig) that
 *   `ssh-keygen -Y sign -n dmconfirm-jws` makes over the same signing input. Security keys
 *   (sk-ssh-ed25519) sign only this way. "SSHSIG" is no JOSE algorithm, so a JOSE library
 *   refuses it instead of mistaking it for EdDSA, and the header naming it is signed.
 *
 * Which forms a key may use is decided by its type in the trust root, never by the message:
 * a security key's signature presented as EdDSA, or as a plain key's SSHSIG, is refused.
 */
export const SSHSIG_ALG = 'SSHSIG';
const EDDSA_ALGS = ['EdDSA', 'Ed25519'];

/** An SSH key as the trust root lists it. */
export interface TrustedSshKey {
  key: SshPublicKey;
  /** Security keys: every signature must carry user verification (PIN), `verify-required`. */
  verifyRequired?: boolean;
}

export interface JwsSignatureEntry {
  protected: string;
  signature: string;
}

export function jwsSigningInput(protectedB64: string, payloadB64: string): Buffer {
  return Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
}

/** One signature entry over the (base64url) payload by an SSH key. */
export async function sshSignatureEntry(
  payloadB64: string,
  typ: string,
  signer: SshSigner,
): Promise<JwsSignatureEntry> {
  const header = { alg: signer.alg, typ, kid: signer.publicKey.fingerprint };
  const protectedB64 = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const signature = await signer.sign(jwsSigningInput(protectedB64, payloadB64));
  return { protected: protectedB64, signature: signature.toString('base64url') };
}

/**
 * Verifies one entry whose `kid` names an SSH key of the trust root. Returns what a security
 * key's signature proved (its counter is then checked against the durable memory).
 */
export async function verifySshEntry(
  entry: JwsSignatureEntry,
  payloadB64: string,
  alg: string,
  trusted: TrustedSshKey,
  at: string,
): Promise<SkEvidence | undefined> {
  const { key } = trusted;
  if (alg === SSHSIG_ALG) {
    const blob = Buffer.from(entry.signature, 'base64url');
    return verifySshSig(blob, jwsSigningInput(entry.protected, payloadB64), key, {
      namespace: DMCONFIRM_SSHSIG_NAMESPACE,
      requireUserVerification: trusted.verifyRequired === true,
      at,
    });
  }
  if (!EDDSA_ALGS.includes(alg))
    return refuse('bad-alg', `${at}: algorithm ${JSON.stringify(alg)} is not allowed for SSH key ${key.fingerprint}`);
  if (key.type === SK_SSH_ED25519) {
    refuse(
      'ssh-key-type-mismatch',
      `${at}: a plain EdDSA signature for security key ${key.fingerprint}; security keys sign as "${SSHSIG_ALG}"`,
    );
  }
  try {
    await flattenedVerify({ protected: entry.protected, payload: payloadB64, signature: entry.signature }, key.key, {
      algorithms: EDDSA_ALGS,
    });
  } catch {
    refuse('bad-signature', `${at} (SSH key ${key.fingerprint}) does not verify: wrong key or tampered message`);
  }
  return undefined;
}
