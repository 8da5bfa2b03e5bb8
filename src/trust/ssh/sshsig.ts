import { createHash } from 'node:crypto';
import { refuse } from '../refusal.js';
import { SK_SSH_ED25519, SSH_ED25519 } from './public-key.js';
import type { SshKeyType } from './public-key.js';
import { WireError, WireReader, wireString, wireUint32 } from './wire.js';

/**
 * OpenSSH's signature format for arbitrary data (PROTOCOL.sshsig), which `ssh-keygen -Y
 * sign` writes, and the security-key signature inside it (PROTOCOL.u2f).
 */
/** The SSHSIG namespace of dmconfirm's signatures: a git or file signature never passes as one. */
export const DMCONFIRM_SSHSIG_NAMESPACE = 'dmconfirm-jws';
const MAGIC = Buffer.from('SSHSIG', 'latin1');
const VERSION = 1;
export const SSHSIG_HASHES = ['sha256', 'sha512'] as const;
export type SshSigHash = (typeof SSHSIG_HASHES)[number];
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';

/** Security-key flags (authenticator data): the touch, and the PIN or biometric. */
export const SK_USER_PRESENT = 0x01;
export const SK_USER_VERIFIED = 0x04;

export interface SshSig {
  publicKey: Buffer;
  namespace: string;
  reserved: Buffer;
  hash: string;
  /** The SSH signature blob: `string type, string sig` (+ `byte flags, uint32 counter` for sk). */
  signature: Buffer;
}

/** An SSH signature blob, decoded. */
export interface SshSignature {
  type: SshKeyType;
  /** The 64 Ed25519 signature bytes. */
  bytes: Buffer;
  /** Security keys only. */
  flags?: number;
  counter?: number;
}

function wireErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof WireError) return refuse('malformed', error.message);
    throw error;
  }
}

export function decodeSshSig(blob: Uint8Array): SshSig {
  return wireErrors(() => {
    const reader = new WireReader(blob, 'SSHSIG');
    if (!reader.raw(MAGIC.length).equals(MAGIC)) refuse('malformed', 'not an SSHSIG (magic "SSHSIG" missing)');
    const version = reader.uint32();
    if (version !== VERSION) refuse('malformed', `SSHSIG version ${version} is not supported`);
    const sig: SshSig = {
      publicKey: reader.string(),
      namespace: reader.text(),
      reserved: reader.string(),
      hash: reader.text(),
      signature: reader.string(),
    };
    reader.end();
    return sig;
  });
}

export function encodeSshSig(sig: SshSig): Buffer {
  return Buffer.concat([
    MAGIC,
    wireUint32(VERSION),
    wireString(sig.publicKey),
    wireString(sig.namespace),
    wireString(sig.reserved),
    wireString(sig.hash),
    wireString(sig.signature),
  ]);
}

/** The bytes the key signs: the magic, namespace, reserved, hash name and H(message). */
export function sshSigSignedData(namespace: string, hash: SshSigHash, message: Uint8Array): Buffer {
  return Buffer.concat([
    MAGIC,
    wireString(namespace),
    wireString(''),
    wireString(hash),
    wireString(createHash(hash).update(message).digest()),
  ]);
}

/** What a security key's Ed25519 signature covers (PROTOCOL.u2f): app hash, flags, counter, data hash. */
export function skSignedData(application: string, flags: number, counter: number, data: Uint8Array): Buffer {
  return Buffer.concat([
    createHash('sha256').update(application, 'utf8').digest(),
    Buffer.from([flags]),
    wireUint32(counter),
    createHash('sha256').update(data).digest(),
  ]);
}

export function decodeSshSignature(blob: Uint8Array): SshSignature {
  return wireErrors(() => {
    const reader = new WireReader(blob, 'SSH signature');
    const type = reader.text();
    if (type !== SSH_ED25519 && type !== SK_SSH_ED25519)
      return refuse('bad-alg', `SSH signature type "${type}" is not supported`);
    const bytes = reader.string();
    if (bytes.length !== 64) refuse('malformed', `${type} signature is ${bytes.length} bytes, not 64`);
    const out: SshSignature = { type, bytes };
    if (type === SK_SSH_ED25519) {
      out.flags = reader.byte();
      out.counter = reader.uint32();
    }
    reader.end();
    return out;
  });
}

export function encodeSshSignature(sig: SshSignature): Buffer {
  const parts = [wireString(sig.type), wireString(sig.bytes)];
  if (sig.type === SK_SSH_ED25519) parts.push(Buffer.from([sig.flags ?? 0]), wireUint32(sig.counter ?? 0));
  return Buffer.concat(parts);
}

/** The PEM-like text `ssh-keygen -Y sign` writes. */
export function armorSshSig(blob: Uint8Array): string {
  const b64 = Buffer.from(blob).toString('base64');
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

export function dearmorSshSig(text: string): Buffer {
  const trimmed = text.trim();
  if (!trimmed.startsWith(ARMOR_BEGIN) || !trimmed.endsWith(ARMOR_END)) {
    return refuse('malformed', 'not an armored SSH signature (-----BEGIN SSH SIGNATURE-----)');
  }
  const b64 = trimmed.slice(ARMOR_BEGIN.length, -ARMOR_END.length).replace(/\s+/g, '');
  const blob = Buffer.from(b64, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || blob.toString('base64') !== b64)
    refuse('malformed', 'armored SSH signature is not base64');
  return blob;
}
