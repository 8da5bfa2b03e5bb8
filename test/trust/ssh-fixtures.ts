/**
 * SSH test material, written independently of src/trust/ssh so that a layout mistake there
 * cannot hide behind the same mistake here: real ssh-keygen / ssh-agent for plain keys, and
 * security-key (FIDO) signatures built byte by byte from PROTOCOL.sshsig and PROTOCOL.u2f.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { reapOnExit } from '../helpers/child-reaper.js';

export const NS = 'dmconfirm-jws';
export const UP = 0x01;
export const UV = 0x04;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
export function str(v: string | Uint8Array): Buffer {
  const bytes = typeof v === 'string' ? Buffer.from(v) : Buffer.from(v);
  return Buffer.concat([u32(bytes.length), bytes]);
}
const sha = (alg: string, data: Uint8Array) => createHash(alg).update(data).digest();

/** A test Ed25519 key pair standing in for the secret inside a security key. */
export interface TestKey {
  privateKey: KeyObject;
  raw: Buffer;
}
export function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, raw: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url') };
}
export function plainBlob(k: TestKey): Buffer {
  return Buffer.concat([str('ssh-ed25519'), str(k.raw)]);
}
export function skBlob(k: TestKey, application = 'ssh:'): Buffer {
  return Buffer.concat([str('sk-ssh-ed25519@openssh.com'), str(k.raw), str(application)]);
}
export function pubLine(blob: Buffer, comment = 'test'): string {
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();
  return `${type} ${blob.toString('base64')} ${comment}`;
}

export interface SkOptions {
  flags?: number;
  counter?: number;
  /** The application the authenticator hashes; by default the one in the key. */
  signApplication?: string;
  application?: string;
  namespace?: string;
  hash?: 'sha256' | 'sha512';
  /** The key put into the SSHSIG (default: the sk key). */
  embedded?: Buffer;
}

/** What `ssh-keygen -Y sign` with a security key would produce: a binary SSHSIG. */
export function skSshSig(k: TestKey, message: Uint8Array, o: SkOptions = {}): Buffer {
  const application = o.application ?? 'ssh:';
  const namespace = o.namespace ?? NS;
  const hash = o.hash ?? 'sha512';
  const flags = o.flags ?? UP;
  const counter = o.counter ?? 1;
  const signedData = Buffer.concat([
    Buffer.from('SSHSIG'),
    str(namespace),
    str(''),
    str(hash),
    str(sha(hash, message)),
  ]);
  const u2f = Buffer.concat([
    sha('sha256', Buffer.from(o.signApplication ?? application)),
    Buffer.from([flags]),
    u32(counter),
    sha('sha256', signedData),
  ]);
  const sig = sign(null, u2f, k.privateKey);
  const sigBlob = Buffer.concat([str('sk-ssh-ed25519@openssh.com'), str(sig), Buffer.from([flags]), u32(counter)]);
  return sshSigBlob(o.embedded ?? skBlob(k, application), namespace, hash, sigBlob);
}

/** A plain ssh-ed25519 SSHSIG built by hand (for keys the tests hold in memory). */
export function plainSshSig(
  k: TestKey,
  message: Uint8Array,
  o: { namespace?: string; embedded?: Buffer } = {},
): Buffer {
  const namespace = o.namespace ?? NS;
  const signedData = Buffer.concat([
    Buffer.from('SSHSIG'),
    str(namespace),
    str(''),
    str('sha512'),
    str(sha('sha512', message)),
  ]);
  const sigBlob = Buffer.concat([str('ssh-ed25519'), str(sign(null, signedData, k.privateKey))]);
  return sshSigBlob(o.embedded ?? plainBlob(k), namespace, 'sha512', sigBlob);
}

export function sshSigBlob(publicKey: Buffer, namespace: string, hash: string, signature: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('SSHSIG'),
    u32(1),
    str(publicKey),
    str(namespace),
    str(''),
    str(hash),
    str(signature),
  ]);
}

export function armor(blob: Buffer): string {
  const lines = blob.toString('base64').match(/.{1,70}/g)!;
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

/** `ssh-keygen -t ed25519` without passphrase; returns the private key path. */
export function sshKeygenKey(dir: string, name: string, type = 'ed25519'): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', path]);
  return path;
}

/** The fingerprint as ssh-keygen itself computes it. */
export function keygenFingerprint(pubPath: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], { encoding: 'utf8' }).split(' ')[1]!;
}

/** A real ssh-agent in the foreground on a socket in `dir`; killed after the test. */
export async function startSshAgent(
  t: { after(fn: () => void): void },
  dir: string,
): Promise<{ socket: string; child: ChildProcess }> {
  const socket = join(dir, 'agent.sock');
  const child = reapOnExit(spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' }));
  t.after(() => child.kill('SIGKILL'));
  for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(25);
  if (!existsSync(socket)) throw new Error('ssh-agent did not create its socket');
  return { socket, child };
}

export function sshAdd(socket: string, keyPath: string): void {
  execFileSync('ssh-add', ['-q', keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
}

export function readPub(path: string): string {
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** A JWS signature entry by a (test-built) security key: alg SSHSIG over the signing input. */
export function skEntry(
  k: TestKey,
  payloadB64: string,
  typ: string,
  o: SkOptions & { alg?: string; kid?: string } = {},
): { protected: string; signature: string } {
  const kid =
    o.kid ??
    `SHA256:${createHash('sha256')
      .update(skBlob(k, o.application ?? 'ssh:'))
      .digest('base64')
      .replace(/=+$/, '')}`;
  const protectedB64 = Buffer.from(JSON.stringify({ alg: o.alg ?? 'SSHSIG', typ, kid })).toString('base64url');
  const sig = skSshSig(k, Buffer.from(`${protectedB64}.${payloadB64}`), o);
  return { protected: protectedB64, signature: sig.toString('base64url') };
}
