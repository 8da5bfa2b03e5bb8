/**
 * Refusal codes of SSH and FIDO signatures, part of REFUSAL_REASONS (../refusal.ts).
 * Kept here so the SSH module documents its own failure modes in one place.
 */
export const SSH_REFUSAL_REASONS = [
  /** An SSHSIG carries another public key than the one its `kid` names. */
  'ssh-key-mismatch',
  /** A security-key (sk) signature presented for a plain ssh-ed25519 key, or the reverse. */
  'ssh-key-type-mismatch',
  /** An SSHSIG made for another namespace than dmconfirm's (e.g. git's or a file's). */
  'ssh-wrong-namespace',
  /** A security-key signature or key of another application than the trust root lists. */
  'ssh-wrong-application',
  /** A security-key signature without the user-presence (touch) flag. */
  'sk-presence-missing',
  /** A security-key signature without user verification (PIN) where the trust root requires it. */
  'sk-verification-missing',
  /** A security-key signature whose counter is not above the last one accepted for that key. */
  'sk-counter-replayed',
] as const;
