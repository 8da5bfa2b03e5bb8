// SSHSIG (PROTOCOL.sshsig) and security-key signatures (PROTOCOL.u2f): real ssh-keygen for
// plain keys; FIDO signatures built by ssh-fixtures.ts and cross-checked by ssh-keygen -Y verify.
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshKeygenSigner } from '../../src/trust/ssh/keygen.js';
import { parseSshPublicKey } from '../../src/trust/ssh/public-key.js';
import { armorSshSig, dearmorSshSig, decodeSshSig, encodeSshSig } from '../../src/trust/ssh/sshsig.js';
import { verifySshSig } from '../../src/trust/ssh/sshsig-verify.js';
import { tempDir } from './fixtures.js';
import {
  armor,
  NS,
  plainBlob,
  plainSshSig,
  pubLine,
  readPub,
  skBlob,
  skSshSig,
  sshKeygenKey,
  sshSigBlob,
  str,
  testKey,
  UP,
  UV,
} from './ssh-fixtures.js';

const message = Buffer.from('eyJhbGciOiJTU0hTSUcifQ.eyJoZWxsbyI6MX0');
const at = 'signature 1';
const expect = { namespace: NS, at };

function keygenSign(keyPath: string, namespace: string, data: Buffer): Buffer {
  return dearmorSshSig(
    execFileSync('ssh-keygen', ['-Y', 'sign', '-n', namespace, '-f', keyPath], {
      input: data,
      stdio: ['pipe', 'pipe', 'ignore'],
    }).toString(),
  );
}

/** ssh-keygen -Y verify's own verdict (exit status) on a signature. */
function keygenVerifies(dir: string, line: string, sig: Buffer, data: Buffer, namespace = NS): boolean {
  writeFileSync(join(dir, 'allowed_signers'), `signer@test ${line}\n`);
  writeFileSync(join(dir, 'sig'), armor(sig));
  const args = [
    '-Y',
    'verify',
    '-f',
    join(dir, 'allowed_signers'),
    '-I',
    'signer@test',
    '-n',
    namespace,
    '-s',
    join(dir, 'sig'),
  ];
  return spawnSync('ssh-keygen', args, { input: data, stdio: ['pipe', 'ignore', 'ignore'] }).status === 0;
}

void test('an SSHSIG from real ssh-keygen -Y sign verifies; its armor round-trips', (t) => {
  const path = sshKeygenKey(tempDir(t), 'alice');
  const key = parseSshPublicKey(readPub(path));
  const blob = keygenSign(path, NS, message);
  assert.equal(verifySshSig(blob, message, key, expect), undefined);
  assert.deepEqual(dearmorSshSig(armorSshSig(blob)), blob);
  assert.deepEqual(encodeSshSig(decodeSshSig(blob)), blob);
  assert.equal(decodeSshSig(blob).hash, 'sha512');
});

void test('plain SSHSIG refusals: another namespace, a tampered message, another key, a bad hash or layout', (t) => {
  const dir = tempDir(t);
  const path = sshKeygenKey(dir, 'alice');
  const key = parseSshPublicKey(readPub(path));
  const other = sshKeygenKey(dir, 'mallory');
  assert.throws(() => verifySshSig(keygenSign(path, 'git', message), message, key, expect), {
    reason: 'ssh-wrong-namespace',
    message: /"git", expected "dmconfirm-jws"/,
  });
  assert.throws(() => verifySshSig(keygenSign(path, 'file', message), message, key, expect), {
    reason: 'ssh-wrong-namespace',
  });
  const good = keygenSign(path, NS, message);
  assert.throws(() => verifySshSig(good, Buffer.concat([message, Buffer.from('x')]), key, expect), {
    reason: 'bad-signature',
  });
  assert.throws(() => verifySshSig(keygenSign(other, NS, message), message, key, expect), {
    reason: 'ssh-key-mismatch',
  });
  const sig = decodeSshSig(good);
  assert.throws(() => verifySshSig(encodeSshSig({ ...sig, hash: 'md5' }), message, key, expect), { reason: 'bad-alg' });
  assert.throws(() => verifySshSig(encodeSshSig({ ...sig, reserved: Buffer.from('x') }), message, key, expect), {
    reason: 'malformed',
  });
  assert.throws(() => verifySshSig(Buffer.concat([good, Buffer.from([0])]), message, key, expect), {
    reason: 'malformed',
    message: /trailing/,
  });
  assert.throws(() => verifySshSig(good.subarray(0, 40), message, key, expect), {
    reason: 'malformed',
    message: /truncated/,
  });
  const wrongMagic = Buffer.from(good);
  wrongMagic.write('XSHSIG', 0, 'latin1');
  assert.throws(() => verifySshSig(wrongMagic, message, key, expect), { reason: 'malformed', message: /magic/ });
});

void test('sshKeygenSigner runs ssh-keygen -Y sign, dmconfirm namespace; ssh-keygen -Y verify agrees', async (t) => {
  const dir = tempDir(t);
  const path = sshKeygenKey(dir, 'bob');
  const signer = await sshKeygenSigner(path);
  assert.equal(signer.alg, 'SSHSIG');
  assert.equal(signer.publicKey.comment, 'bob@test');
  const blob = await signer.sign(message);
  assert.equal(verifySshSig(blob, message, signer.publicKey, expect), undefined);
  assert.ok(keygenVerifies(dir, readPub(path), blob, message));
  assert.ok(!keygenVerifies(dir, readPub(path), blob, message, 'git'));
  await assert.rejects(sshKeygenSigner(join(dir, 'missing')), {
    reason: 'key-file',
    message: /cannot read the SSH public key/,
  });
  const broken = await sshKeygenSigner(path, { sshKeygen: join(dir, 'no-such-ssh-keygen') });
  await assert.rejects(broken.sign(message), { reason: 'key-file', message: /cannot run/ });
});

void test('a test-built security-key SSHSIG is what OpenSSH verifies; ours accepts it with its counter', (t) => {
  const dir = tempDir(t);
  const k = testKey();
  const line = pubLine(skBlob(k));
  const sig = skSshSig(k, message, { counter: 41 });
  assert.ok(keygenVerifies(dir, line, sig, message), 'ssh-keygen -Y verify accepts the test-built sk signature');
  const evidence = verifySshSig(sig, message, parseSshPublicKey(line), expect);
  const assertion = createHash('sha256')
    .update(sig.subarray(sig.length - 5 - 64, sig.length - 5))
    .digest('base64url');
  assert.deepEqual(evidence, { fingerprint: parseSshPublicKey(line).fingerprint, counter: 41, flags: UP, assertion });
  const sha256 = skSshSig(k, message, { counter: 42, hash: 'sha256' });
  assert.equal(verifySshSig(sha256, message, parseSshPublicKey(line), expect)?.counter, 42);
});

void test('no touch: ssh-keygen -Y verify only logs the missing user-presence flag; dmconfirm refuses it', (t) => {
  const dir = tempDir(t);
  const k = testKey();
  const line = pubLine(skBlob(k));
  const sig = skSshSig(k, message, { flags: 0 });
  assert.ok(keygenVerifies(dir, line, sig, message));
  assert.throws(() => verifySshSig(sig, message, parseSshPublicKey(line), expect), {
    reason: 'sk-presence-missing',
    message: /without a touch/,
  });
  const uvOnly = skSshSig(k, message, { flags: UV });
  assert.throws(() => verifySshSig(uvOnly, message, parseSshPublicKey(line), expect), {
    reason: 'sk-presence-missing',
  });
});

void test('verify-required: a signature without user verification is refused for such a key, accepted with it', () => {
  const k = testKey();
  const key = parseSshPublicKey(pubLine(skBlob(k)));
  const strict = { ...expect, requireUserVerification: true };
  assert.throws(() => verifySshSig(skSshSig(k, message, { flags: UP }), message, key, strict), {
    reason: 'sk-verification-missing',
    message: /PIN/,
  });
  assert.equal(verifySshSig(skSshSig(k, message, { flags: UP | UV }), message, key, strict)?.flags, UP | UV);
  assert.equal(verifySshSig(skSshSig(k, message, { flags: UP }), message, key, expect)?.flags, UP);
});

void test('security key in another namespace or application is refused', () => {
  const k = testKey();
  const key = parseSshPublicKey(pubLine(skBlob(k)));
  assert.throws(() => verifySshSig(skSshSig(k, message, { namespace: 'git' }), message, key, expect), {
    reason: 'ssh-wrong-namespace',
  });
  // The credential was made for another application (its key blob says so).
  const otherApp = skSshSig(k, message, { application: 'ssh:other' });
  assert.throws(() => verifySshSig(otherApp, message, key, expect), {
    reason: 'ssh-wrong-application',
    message: /"ssh:other".*"ssh:"/,
  });
  // The key blob is relabelled, but the authenticator signed for another application.
  const relabelled = skSshSig(k, message, { signApplication: 'ssh:other' });
  assert.throws(() => verifySshSig(relabelled, message, key, expect), { reason: 'bad-signature' });
  const appKey = parseSshPublicKey(pubLine(skBlob(k, 'ssh:dmconfirm')));
  assert.equal(
    verifySshSig(skSshSig(k, message, { application: 'ssh:dmconfirm' }), message, appKey, expect)?.counter,
    1,
  );
  assert.throws(() => verifySshSig(skSshSig(k, message), message, appKey, expect), { reason: 'ssh-wrong-application' });
});

void test('a security-key signature presented as plain ssh-ed25519, and the reverse, are refused', () => {
  const k = testKey();
  const plainKey = parseSshPublicKey(pubLine(plainBlob(k)));
  const skKey = parseSshPublicKey(pubLine(skBlob(k)));
  const sk = skSshSig(k, message);
  // sk signature for a key the trust root lists as plain: by the embedded key, and with a plain key embedded.
  assert.throws(() => verifySshSig(sk, message, plainKey, expect), { reason: 'ssh-key-type-mismatch' });
  const skWithPlainKey = skSshSig(k, message, { embedded: plainBlob(k) });
  assert.throws(() => verifySshSig(skWithPlainKey, message, plainKey, expect), {
    reason: 'ssh-key-type-mismatch',
    message: /sk-ssh-ed25519@openssh.com signature/,
  });
  // The sk signature's 64 bytes relabelled as a plain ed25519 signature.
  const inner = decodeSshSig(sk);
  const bytes = inner.signature.subarray(4 + 26 + 4, 4 + 26 + 4 + 64);
  const relabelled = sshSigBlob(plainBlob(k), NS, 'sha512', Buffer.concat([str('ssh-ed25519'), str(bytes)]));
  assert.throws(() => verifySshSig(relabelled, message, plainKey, expect), { reason: 'bad-signature' });
  // The reverse: a plain signature by the same key bytes, for the key listed as a security key.
  const plain = plainSshSig(k, message);
  assert.equal(verifySshSig(plain, message, plainKey, expect), undefined);
  assert.throws(() => verifySshSig(plain, message, skKey, expect), {
    reason: 'ssh-key-type-mismatch',
    message: /plain ssh-ed25519 key.*security key/,
  });
  const plainWithSkKey = plainSshSig(k, message, { embedded: skBlob(k) });
  assert.throws(() => verifySshSig(plainWithSkKey, message, skKey, expect), {
    reason: 'ssh-key-type-mismatch',
    message: /a ssh-ed25519 signature/,
  });
});
