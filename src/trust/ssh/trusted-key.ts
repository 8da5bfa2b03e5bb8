import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { loadPublicKey } from '../keys.js';
import type { PublicKeyInfo } from '../keys.js';
import { refuse } from '../refusal.js';
import type { TrustedSshKey } from './jws-ssh.js';
import { parseSshPublicKey, SK_SSH_ED25519 } from './public-key.js';

/**
 * An SSH key in the trust root, under an identity beside its Ed25519 keys:
 * `{ "kind": "ssh", "keyId": "SHA256:...", "publicKey": "sk-ssh-ed25519@openssh.com AAAA...",
 * "verifyRequired": true }`. The key id is the SSH fingerprint, recomputed from the key on
 * every load; `verifyRequired` (security keys only) demands the PIN flag on every signature.
 */
export const sshKeyEntrySchema = z.strictObject({
  kind: z.literal('ssh'),
  keyId: z.string().min(1).max(128),
  /** `TYPE BASE64` as in the key's .pub file, without the comment. */
  publicKey: z.string().min(1).max(1024),
  verifyRequired: z.boolean().optional(),
});
export type SshKeyEntry = z.infer<typeof sshKeyEntrySchema>;

/** A trust-root key that is an SSH key: verified by verifySshEntry, never as a plain JWS key. */
export interface SshKeyInfo extends PublicKeyInfo {
  ssh: TrustedSshKey;
}

/** Builds the verification key of an entry; a key id that is not the key's fingerprint is refused. */
export function sshKeyInfo(entry: SshKeyEntry, name: string): SshKeyInfo {
  const key = parseSshPublicKey(entry.publicKey);
  if (key.comment !== '')
    refuse('key-file', `the SSH key of "${name}" carries a comment ("${key.comment}"); list "TYPE BASE64" only`);
  if (key.fingerprint !== entry.keyId)
    refuse('key-file', `an SSH key of "${name}" is listed as ${entry.keyId} but its bytes give ${key.fingerprint}`);
  if (entry.verifyRequired !== undefined && key.type !== SK_SSH_ED25519) {
    refuse(
      'key-file',
      `verifyRequired is for security keys (${SK_SSH_ED25519}); the key ${key.fingerprint} of "${name}" is ${key.type}`,
    );
  }
  const ssh: TrustedSshKey = entry.verifyRequired ? { key, verifyRequired: true } : { key };
  return { keyId: key.fingerprint, name, publicKey: entry.publicKey, key: key.key, ssh };
}

/** The trust-root entry for a key read from its .pub file (the comment is dropped). */
export function sshKeyEntry(pubLine: string, options: { verifyRequired?: boolean } = {}): SshKeyEntry {
  const key = parseSshPublicKey(pubLine);
  const entry: SshKeyEntry = {
    kind: 'ssh',
    keyId: key.fingerprint,
    publicKey: `${key.type} ${key.blob.toString('base64')}`,
  };
  if (options.verifyRequired) {
    if (key.type !== SK_SSH_ED25519)
      refuse('key-file', `--verify-required is for security keys (${SK_SSH_ED25519}); this key is ${key.type}`);
    entry.verifyRequired = true;
  }
  return entry;
}

/** The 32 Ed25519 bytes behind a trust-root key, whatever its kind: one key must not count twice. */
export function keyMaterial(info: PublicKeyInfo): string {
  const jwk = info.key.export({ format: 'jwk' });
  return typeof jwk.x === 'string' ? jwk.x : info.keyId;
}

/**
 * A public key file for the trust root: a dmconfirm NAME.pub, or an SSH .pub line
 * (`ssh-ed25519 ...`, `sk-ssh-ed25519@openssh.com ...`) whose comment names its holder
 * unless `--identity` does.
 */
export async function loadTrustKeyFile(
  path: string,
  options: { verifyRequired?: boolean } = {},
): Promise<PublicKeyInfo> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return refuse('key-file', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!/^\s*(ssh-|sk-)/.test(text)) {
    if (options.verifyRequired)
      refuse('key-file', `${path}: --verify-required is for security keys (${SK_SSH_ED25519})`);
    return loadPublicKey(path);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) refuse('key-file', `${path}: expected one SSH public key line, found ${lines.length}`);
  const key = parseSshPublicKey(lines[0]!);
  return sshKeyInfo(sshKeyEntry(lines[0]!, options), key.comment.trim() || key.fingerprint);
}
