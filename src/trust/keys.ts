import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { refuse } from './refusal.js';
import type { TrustedSshKey } from './ssh/jws-ssh.js';
import { parseStrict } from './strict-json.js';

/** An Ed25519 public key as the trust root lists it. */
export interface PublicKeyInfo {
  /** base64url SHA-256 of the raw 32 key bytes, computed here, never taken from a signer. */
  keyId: string;
  name: string;
  /** base64url of the raw 32 key bytes. */
  publicKey: string;
  key: KeyObject;
  /** SSH keys (issue 14): verified as SSH signatures, by the key's type (src/trust/ssh/jws-ssh.ts). */
  ssh?: TrustedSshKey;
}

export interface SigningKey extends PublicKeyInfo {
  privateKey: KeyObject;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function keyIdOf(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('base64url');
}

/** Builds a verification key from the raw bytes; anything but 32 bytes of base64url is refused. */
export function publicKeyFromRaw(publicKey: string, name: string): PublicKeyInfo {
  const raw = B64URL.test(publicKey) ? Buffer.from(publicKey, 'base64url') : Buffer.alloc(0);
  if (raw.length !== 32 || raw.toString('base64url') !== publicKey) {
    refuse('key-file', `public key of "${name}" is not 32 bytes of unpadded base64url`);
  }
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  return { keyId: keyIdOf(raw), name, publicKey, key };
}

function rawOf(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') refuse('key-file', 'not an Ed25519 key');
  return jwk.x;
}

export const publicKeyFileSchema = z.strictObject({
  type: z.literal('dmconfirm-public-key'),
  name: z.string().min(1).max(64),
  keyId: z.string(),
  publicKey: z.string(),
});
export type PublicKeyFile = z.infer<typeof publicKeyFileSchema>;

/** Reads NAME.pub; the key id in the file is checked against the one computed from the bytes. */
export async function loadPublicKey(path: string): Promise<PublicKeyInfo> {
  let parsed: PublicKeyFile;
  try {
    parsed = parseStrict(publicKeyFileSchema, await readFile(path, 'utf8'));
  } catch (error) {
    return refuse('key-file', `${path}: not a dmconfirm public key file (${(error as Error).message.split('\n')[0]})`);
  }
  const info = publicKeyFromRaw(parsed.publicKey, parsed.name);
  if (info.keyId !== parsed.keyId) refuse('key-file', `${path}: key id in the file does not match the key bytes`);
  return info;
}

function keyName(path: string): string {
  return basename(path).replace(/\.key$/, '');
}

/**
 * Reads a PKCS#8 PEM private key. A key file that group or others may read is refused: a
 * leaked approver key is one approval an attacker no longer needs to steal.
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    return refuse(
      'key-file',
      `cannot read private key ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  const loose = info.mode & 0o077;
  if (loose !== 0) {
    refuse(
      'key-file',
      `private key ${path} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}: group/others may access it; ` +
        `run "chmod 600 ${path}" (and consider the key exposed if others could read it)`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path, 'utf8'));
  } catch {
    return refuse('key-file', `${path} is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') refuse('key-file', `${path} is not an Ed25519 key`);
  return signingKeyFrom(privateKey, keyName(path));
}

export function signingKeyFrom(privateKey: KeyObject, name: string): SigningKey {
  return { ...publicKeyFromRaw(rawOf(createPublicKey(privateKey)), name), privateKey };
}

/** A fresh key pair in memory (tests, demo); files come from generateKeyFiles. */
export function generateSigningKey(name: string): SigningKey {
  return signingKeyFrom(generateKeyPairSync('ed25519').privateKey, name);
}

export function publicKeyFile(info: PublicKeyInfo): PublicKeyFile {
  return { type: 'dmconfirm-public-key', name: info.name, keyId: info.keyId, publicKey: info.publicKey };
}

/** Writes NAME.key (0600) and NAME.pub; refuses to overwrite either. */
export async function generateKeyFiles(base: string, name = keyName(base)): Promise<PublicKeyInfo> {
  const keyPath = `${base}.key`;
  const pubPath = `${base}.pub`;
  for (const path of [keyPath, pubPath]) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) refuse('key-file', `${path} already exists; refusing to overwrite a key`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const info = publicKeyFromRaw(rawOf(publicKey), name);
  // 'wx' fails if the file appeared meanwhile; the mode is set at creation, never widened.
  const keyHandle = await open(keyPath, 'wx', 0o600);
  try {
    await keyHandle.writeFile(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await keyHandle.sync();
  } finally {
    await keyHandle.close();
  }
  const pubHandle = await open(pubPath, 'wx', 0o644);
  try {
    await pubHandle.writeFile(JSON.stringify(publicKeyFile(info), null, 2) + '\n');
  } finally {
    await pubHandle.close();
  }
  return info;
}
