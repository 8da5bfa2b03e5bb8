// ssh-agent (real, Debian's openssh-client) signing the JWS signing input: a standard EdDSA JWS
// signature that jose verifies with the key's bytes; the SSH entry forms and their refusals.
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flattenedVerify, importJWK } from 'jose';
import { SshAgentClient } from '../../src/trust/ssh/agent.js';
import { jwsSigningInput, sshSignatureEntry, verifySshEntry } from '../../src/trust/ssh/jws-ssh.js';
import { sshKeygenSigner } from '../../src/trust/ssh/keygen.js';
import { parseSshPublicKey } from '../../src/trust/ssh/public-key.js';
import { tempDir } from './fixtures.js';
import {
  keygenFingerprint,
  pubLine,
  readPub,
  skBlob,
  skSshSig,
  sshAdd,
  sshKeygenKey,
  startSshAgent,
  testKey,
  UP,
} from './ssh-fixtures.js';

const payload = Buffer.from(JSON.stringify({ type: 'approval', n: 1 })).toString('base64url');
const typ = 'dmconfirm-approval+jws';

void test('ssh-agent: keys listed by fingerprint; its signature is an EdDSA JWS signature jose verifies', async (t) => {
  const dir = tempDir(t);
  const { socket } = await startSshAgent(t, dir);
  const alice = sshKeygenKey(dir, 'alice');
  const bob = sshKeygenKey(dir, 'bob');
  sshAdd(socket, alice);
  sshAdd(socket, bob);
  const client = new SshAgentClient(socket);
  const listed = (await client.list()).map((k) => k.fingerprint).sort();
  assert.deepEqual(listed, [keygenFingerprint(`${alice}.pub`), keygenFingerprint(`${bob}.pub`)].sort());
  await assert.rejects(client.signer(), {
    reason: 'key-file',
    message: /holds 2 ssh-ed25519 keys.*--ssh-key FINGERPRINT/,
  });
  const signer = await client.signer(keygenFingerprint(`${bob}.pub`));
  assert.equal(signer.alg, 'EdDSA');
  const entry = await sshSignatureEntry(payload, typ, signer);
  const header = JSON.parse(Buffer.from(entry.protected, 'base64url').toString()) as Record<string, string>;
  assert.deepEqual(header, { alg: 'EdDSA', typ, kid: keygenFingerprint(`${bob}.pub`) });
  // Verified by jose with nothing but the 32 key bytes from bob.pub: a standard JWS signature.
  const raw = parseSshPublicKey(readPub(bob)).raw.toString('base64url');
  const jwk = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: raw }, 'EdDSA');
  const result = await flattenedVerify({ ...entry, payload }, jwk, { algorithms: ['EdDSA'] });
  assert.equal(Buffer.from(result.payload).toString('base64url'), payload);
  const trusted = { key: parseSshPublicKey(readPub(bob)) };
  assert.equal(await verifySshEntry(entry, payload, 'EdDSA', trusted, 'signature 1'), undefined);
  const tampered = Buffer.from(JSON.stringify({ type: 'approval', n: 2 })).toString('base64url');
  await assert.rejects(verifySshEntry(entry, tampered, 'EdDSA', trusted, 'signature 1'), { reason: 'bad-signature' });
  const aliceKey = { key: parseSshPublicKey(readPub(alice)) };
  await assert.rejects(verifySshEntry(entry, payload, 'EdDSA', aliceKey, 'signature 1'), { reason: 'bad-signature' });
});

void test('ssh-keygen -Y sign with only the public key file signs through ssh-agent (SSHSIG entry)', async (t) => {
  const dir = tempDir(t);
  const { socket } = await startSshAgent(t, dir);
  const carol = sshKeygenKey(dir, 'carol');
  sshAdd(socket, carol);
  const elsewhere = join(dir, 'pub-only');
  mkdirSync(elsewhere);
  copyFileSync(`${carol}.pub`, join(elsewhere, 'carol.pub'));
  const saved = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = socket;
  t.after(() => (saved === undefined ? delete process.env.SSH_AUTH_SOCK : (process.env.SSH_AUTH_SOCK = saved)));
  const signer = await sshKeygenSigner(join(elsewhere, 'carol.pub'));
  const entry = await sshSignatureEntry(payload, typ, signer);
  assert.equal((JSON.parse(Buffer.from(entry.protected, 'base64url').toString()) as { alg: string }).alg, 'SSHSIG');
  assert.equal(await verifySshEntry(entry, payload, 'SSHSIG', { key: signer.publicKey }, 'signature 1'), undefined);
  // An SSHSIG is no EdDSA signature: relabelled, it fails.
  await assert.rejects(verifySshEntry(entry, payload, 'EdDSA', { key: signer.publicKey }, 'signature 1'), {
    reason: 'bad-signature',
  });
});

void test('agent problems are named: no socket, agent gone, no key, unknown fingerprint', async (t) => {
  const dir = tempDir(t);
  const saved = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  t.after(() => (saved === undefined ? undefined : (process.env.SSH_AUTH_SOCK = saved)));
  assert.throws(() => new SshAgentClient(), { reason: 'key-file', message: /SSH_AUTH_SOCK is not set/ });
  const { socket, child } = await startSshAgent(t, dir);
  const client = new SshAgentClient(socket);
  await assert.rejects(client.signer(), {
    reason: 'key-file',
    message: /holds no ssh-ed25519 key \(add one with ssh-add\); security keys/,
  });
  const dave = sshKeygenKey(dir, 'dave');
  const unknown = keygenFingerprint(`${dave}.pub`);
  await assert.rejects(client.signer(unknown), {
    reason: 'key-file',
    message: /holds no ssh-ed25519 key SHA256:.*security keys/,
  });
  await assert.rejects(client.signer('dave'), { reason: 'key-file', message: /not an SSH SHA256 fingerprint/ });
  sshAdd(socket, dave);
  const signer = await client.signer();
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  await assert.rejects(signer.sign(Buffer.from('x')), { reason: 'key-file', message: /did not sign/ });
  await assert.rejects(client.list(), { reason: 'key-file', message: /ssh-agent at .*agent.sock/ });
});

void test('SSH entries: a security key signs only as SSHSIG; EdDSA for it and other algs are refused', async () => {
  const k = testKey();
  const trusted = { key: parseSshPublicKey(pubLine(skBlob(k))) };
  const protectedB64 = Buffer.from(JSON.stringify({ alg: 'SSHSIG', typ, kid: trusted.key.fingerprint })).toString(
    'base64url',
  );
  const sig = skSshSig(k, jwsSigningInput(protectedB64, payload), { counter: 9 });
  const entry = { protected: protectedB64, signature: sig.toString('base64url') };
  assert.deepEqual(await verifySshEntry(entry, payload, 'SSHSIG', trusted, 'signature 1'), {
    fingerprint: trusted.key.fingerprint,
    counter: 9,
    flags: UP,
    // The SHA-256 of the 64 Ed25519 bytes, which end the SSHSIG's signature blob just before flags and counter.
    assertion: createHash('sha256')
      .update(sig.subarray(sig.length - 5 - 64, sig.length - 5))
      .digest('base64url'),
  });
  await assert.rejects(verifySshEntry(entry, payload, 'EdDSA', trusted, 'signature 1'), {
    reason: 'ssh-key-type-mismatch',
    message: /security keys sign as "SSHSIG"/,
  });
  await assert.rejects(verifySshEntry(entry, payload, 'ES256', trusted, 'signature 1'), { reason: 'bad-alg' });
  const other = Buffer.from(JSON.stringify({ hello: 2 })).toString('base64url');
  await assert.rejects(verifySshEntry(entry, other, 'SSHSIG', trusted, 'signature 1'), { reason: 'bad-signature' });
  const strict = { ...trusted, verifyRequired: true };
  await assert.rejects(verifySshEntry(entry, payload, 'SSHSIG', strict, 'signature 1'), {
    reason: 'sk-verification-missing',
  });
});
