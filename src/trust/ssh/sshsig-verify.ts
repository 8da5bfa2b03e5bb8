import { createHash, verify as verifySignature } from 'node:crypto';
import { refuse } from '../refusal.js';
import { parseSshPublicKeyBlob, SK_SSH_ED25519 } from './public-key.js';
import type { SshPublicKey } from './public-key.js';
import {
  decodeSshSig,
  decodeSshSignature,
  SK_USER_PRESENT,
  SK_USER_VERIFIED,
  SSHSIG_HASHES,
  skSignedData,
  sshSigSignedData,
} from './sshsig.js';
import type { SshSigHash } from './sshsig.js';

/** What a security-key signature proved, for the counter memory and the audit. */
export interface SkEvidence {
  fingerprint: string;
  counter: number;
  flags: number;
  /** This one signature (SHA-256 of the key's signature bytes, base64url): the same assertion seen again. */
  assertion: string;
  /**
   * Set by the caller for a signature that many orders carry (a campaign's, a release's): until
   * then (ms) the agent accepts this very assertion again, whatever counters came since.
   */
  keepUntil?: number;
}

export interface SshSigExpectation {
  namespace: string;
  /** The trust root demands the PIN (or biometric) for this key: `verify-required`. */
  requireUserVerification?: boolean;
  /** "signature 2", for the refusal text. */
  at: string;
}

function describe(key: SshPublicKey): string {
  return key.type === SK_SSH_ED25519 ? `security key (${key.type}, ${key.application})` : `plain ${key.type} key`;
}

/**
 * Verifies an SSHSIG over `message` by the key the trust root lists, and enforces what
 * `ssh-keygen -Y verify` only reports: the namespace, the key's exact type and application,
 * and for security keys the user-presence flag (and user verification when required).
 * The counter is returned, not judged: the caller checks it against its durable memory.
 */
export function verifySshSig(
  blob: Uint8Array,
  message: Uint8Array,
  trusted: SshPublicKey,
  expect: SshSigExpectation,
): SkEvidence | undefined {
  const { at } = expect;
  const sig = decodeSshSig(blob);
  const embedded = parseSshPublicKeyBlob(sig.publicKey);
  if (!embedded.raw.equals(trusted.raw)) {
    refuse(
      'ssh-key-mismatch',
      `${at}: the SSH signature carries key ${embedded.fingerprint}, not ${trusted.fingerprint}`,
    );
  }
  if (embedded.type !== trusted.type) {
    refuse(
      'ssh-key-type-mismatch',
      `${at}: signed as a ${describe(embedded)}, but the trust root lists a ${describe(trusted)}`,
    );
  }
  if (embedded.application !== trusted.application) {
    refuse(
      'ssh-wrong-application',
      `${at}: security key application "${embedded.application}", the trust root lists "${trusted.application}"`,
    );
  }
  if (sig.namespace !== expect.namespace) {
    refuse('ssh-wrong-namespace', `${at}: SSH signature namespace "${sig.namespace}", expected "${expect.namespace}"`);
  }
  if (sig.reserved.length !== 0) refuse('malformed', `${at}: the SSHSIG reserved field is not empty`);
  if (!(SSHSIG_HASHES as readonly string[]).includes(sig.hash)) {
    refuse('bad-alg', `${at}: SSHSIG hash "${sig.hash}" is not allowed; only ${SSHSIG_HASHES.join(', ')}`);
  }
  const signature = decodeSshSignature(sig.signature);
  if (signature.type !== trusted.type) {
    refuse('ssh-key-type-mismatch', `${at}: a ${signature.type} signature for a ${describe(trusted)}`);
  }
  const data = sshSigSignedData(sig.namespace, sig.hash as SshSigHash, message);
  const signed =
    signature.type === SK_SSH_ED25519
      ? skSignedData(trusted.application!, signature.flags!, signature.counter!, data)
      : data;
  if (!verifySignature(null, signed, trusted.key, signature.bytes)) {
    refuse('bad-signature', `${at} (SSH key ${trusted.fingerprint}) does not verify: wrong key or tampered message`);
  }
  if (signature.type !== SK_SSH_ED25519) return undefined;
  const flags = signature.flags!;
  if ((flags & SK_USER_PRESENT) === 0) {
    refuse(
      'sk-presence-missing',
      `${at}: the security key ${trusted.fingerprint} signed without a touch (user-presence flag not set)`,
    );
  }
  if (expect.requireUserVerification && (flags & SK_USER_VERIFIED) === 0) {
    refuse(
      'sk-verification-missing',
      `${at}: the security key ${trusted.fingerprint} signed without PIN verification, which the trust root requires`,
    );
  }
  const assertion = createHash('sha256').update(signature.bytes).digest('base64url');
  return { fingerprint: trusted.fingerprint, counter: signature.counter!, flags, assertion };
}
