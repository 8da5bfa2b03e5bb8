import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { refuse } from '../refusal.js';
import { WireError, WireReader, wireString } from './wire.js';

export const SSH_ED25519 = 'ssh-ed25519';
export const SK_SSH_ED25519 = 'sk-ssh-ed25519@openssh.com';
export type SshKeyType = typeof SSH_ED25519 | typeof SK_SSH_ED25519;
/** What `ssh-keygen -t ed25519-sk` uses unless told `-O application=ssh:...`. */
export const DEFAULT_SK_APPLICATION = 'ssh:';

/** An SSH Ed25519 public key, plain or FIDO (security key), as a trust root lists it. */
export interface SshPublicKey {
  type: SshKeyType;
  /** The 32 Ed25519 key bytes. */
  raw: Buffer;
  /** FIDO keys only: the application (relying party) the credential was made for. */
  application?: string;
  /** The SSH public key blob; the fingerprint and every comparison use these exact bytes. */
  blob: Buffer;
  /** `SHA256:...` as `ssh-keygen -l` and `ssh-add -l` print it. */
  fingerprint: string;
  comment: string;
  /** The Ed25519 key that checks the signatures. */
  key: KeyObject;
}

export function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function isSshKeyType(type: string): type is SshKeyType {
  return type === SSH_ED25519 || type === SK_SSH_ED25519;
}

export function sshPublicKeyBlob(type: SshKeyType, raw: Uint8Array, application?: string): Buffer {
  const parts = [wireString(type), wireString(raw)];
  if (type === SK_SSH_ED25519) parts.push(wireString(application ?? DEFAULT_SK_APPLICATION));
  return Buffer.concat(parts);
}

function build(
  type: SshKeyType,
  raw: Buffer,
  application: string | undefined,
  blob: Buffer,
  comment: string,
): SshPublicKey {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  const info: SshPublicKey = { type, raw, blob, fingerprint: sshFingerprint(blob), comment, key };
  if (application !== undefined) info.application = application;
  return info;
}

/**
 * Reads a key blob: `string type, string key[32]` for ssh-ed25519, plus `string application`
 * for sk-ssh-ed25519@openssh.com. Other key types, other lengths and trailing bytes are refused.
 */
export function parseSshPublicKeyBlob(blob: Uint8Array, comment = ''): SshPublicKey {
  try {
    const reader = new WireReader(blob, 'SSH public key');
    const type = reader.text();
    if (!isSshKeyType(type))
      return refuse('key-file', `SSH key type "${type}" is not supported; use ${SSH_ED25519} or ${SK_SSH_ED25519}`);
    const raw = reader.string();
    if (raw.length !== 32) return refuse('key-file', `${type} key is ${raw.length} bytes, not 32`);
    let application: string | undefined;
    if (type === SK_SSH_ED25519) {
      application = reader.text();
      // OpenSSH only makes ssh: credentials; any other application is a web (WebAuthn) site's.
      if (!application.startsWith('ssh:'))
        refuse('key-file', `security key application "${application}" does not start with "ssh:"`);
    }
    reader.end();
    return build(type, raw, application, Buffer.from(blob), comment);
  } catch (error) {
    if (error instanceof WireError) return refuse('key-file', error.message);
    throw error;
  }
}

/**
 * Parses one public key line as in authorized_keys or NAME.pub: `TYPE BASE64 [comment]`.
 * The type in the line must be the type inside the blob.
 */
export function parseSshPublicKey(line: string): SshPublicKey {
  const match = /^([A-Za-z0-9@.-]+) +([A-Za-z0-9+/]+={0,2})(?: +(.*))?$/.exec(line.trim());
  if (!match) return refuse('key-file', 'not an SSH public key line ("TYPE BASE64 [comment]")');
  const [, type, b64, comment] = match;
  if (!isSshKeyType(type!))
    return refuse('key-file', `SSH key type "${type}" is not supported; use ${SSH_ED25519} or ${SK_SSH_ED25519}`);
  const blob = Buffer.from(b64!, 'base64');
  if (blob.toString('base64') !== b64) return refuse('key-file', 'SSH public key is not canonical base64');
  const key = parseSshPublicKeyBlob(blob, comment ?? '');
  if (key.type !== type) refuse('key-file', `the line says ${type} but the key inside is ${key.type}`);
  return key;
}

/** The key as one authorized_keys-style line. */
export function formatSshPublicKey(key: SshPublicKey): string {
  return `${key.type} ${key.blob.toString('base64')}${key.comment ? ` ${key.comment}` : ''}`;
}

/** A fingerprint as the user typed it: `SHA256:...` (padding tolerated). */
export function normalizeFingerprint(text: string): string {
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text.trim());
  if (!match) return refuse('key-file', `"${text}" is not an SSH SHA256 fingerprint (as "ssh-add -l" prints it)`);
  return `SHA256:${match[1]}`;
}
