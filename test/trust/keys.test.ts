// Key files: private 0600, never overwritten, loose permissions refused, ids from key bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyFiles, keyIdOf, loadPublicKey, loadSigningKey } from '../../src/trust/keys.js';
import { tempDir } from './fixtures.js';

void test('generate writes NAME.key 0600 and NAME.pub; the id is the SHA-256 of the key bytes', async (t) => {
  const base = join(tempDir(t), 'alice');
  const info = await generateKeyFiles(base);
  assert.equal(statSync(`${base}.key`).mode & 0o777, 0o600);
  const pub = await loadPublicKey(`${base}.pub`);
  const priv = await loadSigningKey(`${base}.key`);
  assert.equal(pub.keyId, info.keyId);
  assert.equal(priv.keyId, info.keyId);
  assert.equal(info.keyId, keyIdOf(Buffer.from(info.publicKey, 'base64url')));
  assert.equal(info.name, 'alice');
});

void test('generate refuses to overwrite an existing key', async (t) => {
  const base = join(tempDir(t), 'bob');
  await generateKeyFiles(base);
  const before = readFileSync(`${base}.key`, 'utf8');
  await assert.rejects(generateKeyFiles(base), { reason: 'key-file', message: /already exists/ });
  assert.equal(readFileSync(`${base}.key`, 'utf8'), before);
});

void test('a private key readable by group or others is refused with the fix', async (t) => {
  const base = join(tempDir(t), 'carol');
  await generateKeyFiles(base);
  chmodSync(`${base}.key`, 0o640);
  await assert.rejects(loadSigningKey(`${base}.key`), { reason: 'key-file', message: /mode 0640.*chmod 600/ });
  chmodSync(`${base}.key`, 0o600);
  await loadSigningKey(`${base}.key`);
});

void test('a public key file whose id does not match its bytes is refused', async (t) => {
  const dir = tempDir(t);
  const info = await generateKeyFiles(join(dir, 'dave'));
  const path = join(dir, 'forged.pub');
  writeFileSync(
    path,
    JSON.stringify({ type: 'dmconfirm-public-key', name: 'dave', keyId: 'somebody-else', publicKey: info.publicKey }),
  );
  await assert.rejects(loadPublicKey(path), { reason: 'key-file', message: /does not match/ });
});

void test('a public key file is read strictly: a second name or key in it is refused', async (t) => {
  const base = join(tempDir(t), 'dave');
  await generateKeyFiles(base);
  const text = readFileSync(`${base}.pub`, 'utf8');
  writeFileSync(`${base}.pub`, text.replace('"name": "dave"', '"name": "alice",\n  "name": "dave"'));
  await assert.rejects(loadPublicKey(`${base}.pub`), { reason: 'key-file', detail: /"name" appears twice/ });
});
