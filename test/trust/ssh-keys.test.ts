// SSH public keys: ssh-ed25519 from real ssh-keygen, sk-ssh-ed25519@openssh.com built here and
// fingerprinted by ssh-keygen too; everything else (other types, odd bytes) refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatSshPublicKey,
  normalizeFingerprint,
  parseSshPublicKey,
  parseSshPublicKeyBlob,
  SK_SSH_ED25519,
  SSH_ED25519,
} from '../../src/trust/ssh/public-key.js';
import { tempDir } from './fixtures.js';
import { keygenFingerprint, pubLine, readPub, skBlob, sshKeygenKey, str, testKey } from './ssh-fixtures.js';

void test('an ssh-ed25519 key from ssh-keygen: type, comment, 32 key bytes, the fingerprint ssh-keygen prints', (t) => {
  const dir = tempDir(t);
  const path = sshKeygenKey(dir, 'alice');
  const key = parseSshPublicKey(readPub(path));
  assert.equal(key.type, SSH_ED25519);
  assert.equal(key.comment, 'alice@test');
  assert.equal(key.raw.length, 32);
  assert.equal(key.application, undefined);
  assert.equal(key.fingerprint, keygenFingerprint(`${path}.pub`));
  assert.equal(formatSshPublicKey(key), readPub(path));
  assert.equal(key.key.asymmetricKeyType, 'ed25519');
});

void test('an sk-ssh-ed25519 key keeps its application (default ssh:); ssh-keygen agrees on the fingerprint', (t) => {
  const dir = tempDir(t);
  for (const application of ['ssh:', 'ssh:dmconfirm']) {
    const line = pubLine(skBlob(testKey(), application), 'yubikey');
    const path = join(dir, `sk-${application.length}.pub`);
    writeFileSync(path, `${line}\n`);
    const key = parseSshPublicKey(line);
    assert.equal(key.type, SK_SSH_ED25519);
    assert.equal(key.application, application);
    assert.equal(key.comment, 'yubikey');
    assert.equal(key.fingerprint, keygenFingerprint(path));
  }
});

void test('the same 32 bytes as a plain key and as a security key are two keys with two fingerprints', () => {
  const k = testKey();
  const plain = parseSshPublicKey(pubLine(Buffer.concat([str('ssh-ed25519'), str(k.raw)])));
  const sk = parseSshPublicKey(pubLine(skBlob(k)));
  assert.deepEqual(plain.raw, sk.raw);
  assert.notEqual(plain.fingerprint, sk.fingerprint);
});

void test('other key types are refused by name (rsa, ecdsa from ssh-keygen)', (t) => {
  const dir = tempDir(t);
  for (const type of ['rsa', 'ecdsa']) {
    const line = readPub(sshKeygenKey(dir, type, type));
    assert.throws(() => parseSshPublicKey(line), {
      reason: 'key-file',
      message: /not supported; use ssh-ed25519 or sk-ssh-ed25519/,
    });
  }
});

void test('malformed key blobs and lines are refused, never guessed', () => {
  const k = testKey();
  const cases: Array<[string, Buffer | string, RegExp]> = [
    ['short key', Buffer.concat([str('ssh-ed25519'), str(k.raw.subarray(0, 31))]), /31 bytes, not 32/],
    ['trailing bytes', Buffer.concat([str('ssh-ed25519'), str(k.raw), Buffer.from([0])]), /trailing/],
    ['truncated', Buffer.concat([str('ssh-ed25519'), str(k.raw)]).subarray(0, 30), /truncated/],
    ['sk without application', Buffer.concat([str(SK_SSH_ED25519), str(k.raw)]), /truncated/],
    ['web application', skBlob(k, 'https://bank.example'), /does not start with "ssh:"/],
    ['length overflow', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), /truncated/],
  ];
  for (const [what, blob, message] of cases) {
    assert.throws(() => parseSshPublicKeyBlob(blob as Buffer), { reason: 'key-file', message }, what);
  }
  const good = Buffer.concat([str('ssh-ed25519'), str(k.raw)]).toString('base64');
  const sk = skBlob(k).toString('base64');
  assert.throws(() => parseSshPublicKey(`${SK_SSH_ED25519} ${good}`), {
    message: /says sk-ssh-ed25519.*inside is ssh-ed25519/,
  });
  assert.throws(() => parseSshPublicKey(`ssh-ed25519 ${sk}`), { message: /says ssh-ed25519.*inside is sk-ssh/ });
  assert.ok(sk.endsWith('='));
  assert.throws(() => parseSshPublicKey(`${SK_SSH_ED25519} ${sk.replace(/=+$/, '')}`), { message: /canonical base64/ });
  assert.throws(() => parseSshPublicKey('ssh-ed25519'), { message: /not an SSH public key line/ });
  assert.throws(() => parseSshPublicKey('verify-required ssh-ed25519 AAAA'), {
    message: /not an SSH public key line|not supported/,
  });
});

void test('fingerprints as the user types them: SHA256:..., with or without padding; anything else refused', (t) => {
  const path = sshKeygenKey(tempDir(t), 'fp');
  const fp = keygenFingerprint(`${path}.pub`);
  assert.equal(normalizeFingerprint(fp), fp);
  assert.equal(normalizeFingerprint(` ${fp}= `), fp);
  assert.throws(() => normalizeFingerprint('MD5:aa:bb'), {
    reason: 'key-file',
    message: /not an SSH SHA256 fingerprint/,
  });
  assert.throws(() => normalizeFingerprint(fp.slice(0, -1)), { reason: 'key-file' });
});
