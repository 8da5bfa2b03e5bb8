// An attacker's JWS forger built on node:crypto alone: it shares no code with dmconfirm's
// signing, so the verifier is tested against bytes written the way an adversary would.
import { createHash, generateKeyPairSync, sign as edSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface ForgerKey {
  privateKey: KeyObject;
  /** base64url of the raw 32 public key bytes. */
  publicKey: string;
  keyId: string;
}

export function forgerKey(): ForgerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return {
    privateKey,
    publicKey: raw.toString('base64url'),
    keyId: createHash('sha256').update(raw).digest('base64url'),
  };
}

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Signs `payloadText` (exact bytes, any JSON the attacker likes) with raw protected header texts. */
export function forge(payloadText: string, signers: Array<{ key: { privateKey: KeyObject }; header: string }>): string {
  const payload = b64(payloadText);
  const signatures = signers.map(({ key, header }) => {
    const protectedB64 = b64(header);
    const signature = edSign(null, Buffer.from(`${protectedB64}.${payload}`), key.privateKey).toString('base64url');
    return { protected: protectedB64, signature };
  });
  return JSON.stringify({ payload, signatures });
}

/** The header a legitimate signer would write for `typ`. */
export function header(typ: string, kid: string): string {
  return JSON.stringify({ alg: 'EdDSA', typ, kid });
}

/** Signs with well-formed headers for each key. */
export function forgeSimple(
  payloadText: string,
  typ: string,
  keys: Array<{ privateKey: KeyObject; keyId: string }>,
): string {
  return forge(
    payloadText,
    keys.map((key) => ({ key, header: header(typ, key.keyId) })),
  );
}
