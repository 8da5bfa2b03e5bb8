// SSH keys inside the JWS verifier: a dmconfirm key, an ssh-agent key and a security key sign
// one envelope; the trust-root entry decides how each signature is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosignEnvelope, signPayload, verifyEnvelope } from '../../src/trust/jws.js';
import type { Envelope } from '../../src/trust/jws.js';
import { generateSigningKey } from '../../src/trust/keys.js';
import type { PublicKeyInfo } from '../../src/trust/keys.js';
import { SshAgentClient } from '../../src/trust/ssh/agent.js';
import { sshSigningKey } from '../../src/trust/ssh/ssh-sign.js';
import { keyMaterial, sshKeyEntry, sshKeyInfo } from '../../src/trust/ssh/trusted-key.js';
import { tempDir } from './fixtures.js';
import {
  pubLine,
  plainBlob,
  readPub,
  skBlob,
  skEntry,
  sshAdd,
  sshKeygenKey,
  startSshAgent,
  testKey,
  UP,
  UV,
} from './ssh-fixtures.js';

const typ = 'dmconfirm-approval+jws';

function lookupOf(keys: PublicKeyInfo[]): (kid: string) => PublicKeyInfo | undefined {
  return (kid) => keys.find((k) => k.keyId === kid);
}

void test('a dmconfirm key, an ssh-agent key and a security key sign one envelope; sk counter reported', async (t) => {
  const dir = tempDir(t);
  const { socket } = await startSshAgent(t, dir);
  const bobPath = sshKeygenKey(dir, 'bob');
  sshAdd(socket, bobPath);
  const alice = generateSigningKey('alice');
  const carol = testKey();
  const bob = sshKeyInfo(sshKeyEntry(readPub(bobPath)), 'bob');
  const carolInfo = sshKeyInfo(sshKeyEntry(pubLine(skBlob(carol)), { verifyRequired: true }), 'carol');
  let envelope: Envelope = await signPayload({ hello: 'world' }, typ, alice);
  envelope = await cosignEnvelope(envelope, typ, sshSigningKey(await new SshAgentClient(socket).signer()));
  envelope = {
    ...envelope,
    signatures: [...envelope.signatures, skEntry(carol, envelope.payload, typ, { flags: UP | UV, counter: 12 })],
  };
  const verified = await verifyEnvelope(envelope, typ, lookupOf([alice, bob, carolInfo]), 'test root');
  assert.deepEqual(
    verified.signers.map((s) => s.name),
    ['alice', 'bob', 'carol'],
  );
  const assertion = verified.skEvidence[0]?.assertion ?? '';
  assert.match(assertion, /^[\w-]{43}$/, 'the assertion is identified by a hash of its signature');
  assert.deepEqual(verified.skEvidence, [{ fingerprint: carolInfo.keyId, counter: 12, flags: UP | UV, assertion }]);
  assert.deepEqual(JSON.parse(Buffer.from(verified.payload).toString()), { hello: 'world' });
  await assert.rejects(cosignEnvelope(envelope, typ, sshSigningKey(await new SshAgentClient(socket).signer())), {
    reason: 'duplicate-signer',
  });
});

void test('adversarial: SSHSIG by a dmconfirm key, EdDSA by a security key, no PIN, tampering', async () => {
  const alice = generateSigningKey('alice');
  const carol = testKey();
  const carolInfo = sshKeyInfo(sshKeyEntry(pubLine(skBlob(carol)), { verifyRequired: true }), 'carol');
  const base = await signPayload({ n: 1 }, typ);
  const lookup = lookupOf([alice, carolInfo]);
  const verifyWith = (entry: { protected: string; signature: string }, payload = base.payload) =>
    verifyEnvelope({ payload, signatures: [entry] }, typ, lookup, 'test root');
  const aliceSshsig = { ...(await cosignEnvelope(base, typ, alice)).signatures[0]! };
  aliceSshsig.protected = Buffer.from(JSON.stringify({ alg: 'SSHSIG', typ, kid: alice.keyId })).toString('base64url');
  await assert.rejects(verifyWith(aliceSshsig), { reason: 'bad-alg', message: /no SSH key/ });
  await assert.rejects(verifyWith(skEntry(carol, base.payload, typ, { flags: UP | UV, alg: 'EdDSA' })), {
    reason: 'ssh-key-type-mismatch',
  });
  await assert.rejects(verifyWith(skEntry(carol, base.payload, typ, { flags: UP })), {
    reason: 'sk-verification-missing',
  });
  await assert.rejects(verifyWith(skEntry(carol, base.payload, typ, { flags: UV })), { reason: 'sk-presence-missing' });
  const other = (await signPayload({ n: 2 }, typ)).payload;
  await assert.rejects(verifyWith(skEntry(carol, base.payload, typ, { flags: UP | UV }), other), {
    reason: 'bad-signature',
  });
  await assert.rejects(verifyWith(skEntry(carol, base.payload, typ, { flags: UP | UV, namespace: 'git' })), {
    reason: 'ssh-wrong-namespace',
  });
  await assert.rejects(verifyWith(skEntry(carol, base.payload, typ, { flags: UP | UV, alg: 'ES256' })), {
    reason: 'bad-alg',
  });
});

void test('trust-root SSH entries: fingerprint recomputed, verifyRequired for security keys only, key material', () => {
  const k = testKey();
  const plain = sshKeyEntry(pubLine(plainBlob(k)));
  const sk = sshKeyEntry(pubLine(skBlob(k)));
  assert.deepEqual(Object.keys(plain).sort(), ['keyId', 'kind', 'publicKey']);
  assert.ok(!plain.publicKey.includes('test'), 'the comment is dropped');
  assert.throws(() => sshKeyEntry(pubLine(plainBlob(k)), { verifyRequired: true }), {
    reason: 'key-file',
    message: /for security keys/,
  });
  assert.throws(() => sshKeyInfo({ ...plain, keyId: sk.keyId }, 'x'), {
    reason: 'key-file',
    message: /listed as .* but its bytes give/,
  });
  assert.throws(() => sshKeyInfo({ ...plain, verifyRequired: false }, 'x'), {
    reason: 'key-file',
    message: /verifyRequired is for security keys/,
  });
  assert.throws(() => sshKeyInfo({ ...plain, publicKey: `${plain.publicKey} laptop` }, 'x'), {
    reason: 'key-file',
    message: /comment/,
  });
  const a = sshKeyInfo(plain, 'a');
  const b = sshKeyInfo(sk, 'b');
  assert.notEqual(a.keyId, b.keyId);
  assert.equal(keyMaterial(a), keyMaterial(b));
  assert.equal(keyMaterial(a), k.raw.toString('base64url'));
  const raw = generateSigningKey('raw');
  assert.equal(keyMaterial(raw), raw.publicKey);
});
