import type { SshSigner } from './agent.js';

/** An SSH key as a JWS signer (see Signer in ../jws.ts): its fingerprint is the `kid`. */
export interface SshSigningKey {
  keyId: string;
  name: string;
  sshSigner: SshSigner;
}

export function sshSigningKey(signer: SshSigner, name?: string): SshSigningKey {
  const key = signer.publicKey;
  return { keyId: key.fingerprint, name: name ?? (key.comment || key.fingerprint), sshSigner: signer };
}
