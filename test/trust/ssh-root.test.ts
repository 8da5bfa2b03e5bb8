// SSH keys in a trust root: an identity with an ssh-agent key and one with a security key count
// like any approver; security-key counters are remembered per key and only burnt on acceptance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cosignEnvelope } from '../../src/trust/jws.js';
import type { Envelope } from '../../src/trust/jws.js';
import { TYP } from '../../src/trust/messages.js';
import { addKey, initRoot } from '../../src/trust/root-edit.js';
import { SshAgentClient } from '../../src/trust/ssh/agent.js';
import { SkCounterStore } from '../../src/trust/ssh/sk-counters.js';
import { sshSigningKey } from '../../src/trust/ssh/ssh-sign.js';
import { sshKeyEntry, sshKeyInfo } from '../../src/trust/ssh/trusted-key.js';
import { TrustRoot, verifySelfSigned } from '../../src/trust/trust-root.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { context, keys, refused, requestPayload, sign, tempDir, text } from './fixtures.js';
import {
  plainBlob,
  pubLine,
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
import type { SkOptions, TestKey } from './ssh-fixtures.js';

interface Site {
  root: TrustRoot;
  bob: Awaited<ReturnType<SshAgentClient['signer']>>;
  carol: TestKey;
}

/**
 * alice: Ed25519 (root, approver); bob: ssh-agent key (root, approver); carol: security key,
 * verify-required (approver); noc requests.
 */
async function site(t: { after(fn: () => void): void }): Promise<Site> {
  const dir = tempDir(t);
  const { socket } = await startSshAgent(t, dir);
  const bobPath = sshKeygenKey(dir, 'bob');
  sshAdd(socket, bobPath);
  const bob = await new SshAgentClient(socket).signer();
  const carol = testKey();
  let payload = initRoot({
    rootKeys: [keys.alice],
    approverKeys: [keys.alice],
    requesterKeys: [keys.noc],
    rootThreshold: 1,
    approverThreshold: 1,
    suggestedRules: false,
  });
  payload = addKey(payload, sshKeyInfo(sshKeyEntry(readPub(bobPath)), 'bob'), ['root', 'approver']);
  payload = addKey(payload, sshKeyInfo(sshKeyEntry(pubLine(skBlob(carol)), { verifyRequired: true }), 'carol'), [
    'approver',
  ]);
  payload = { ...payload, thresholds: { root: 2, approver: 2 } };
  let envelope = await sign(payload, TYP.root, [keys.alice]);
  envelope = await cosignEnvelope(envelope, TYP.root, sshSigningKey(bob, 'bob'));
  const root = TrustRoot.fromEnvelopeText(text(envelope));
  await verifySelfSigned(root);
  return { root, bob, carol };
}

async function request(s: Site, sk: SkOptions | undefined, overrides: Record<string, unknown> = {}): Promise<string> {
  let envelope: Envelope = await sign(requestPayload(overrides), TYP.request, []);
  envelope = await cosignEnvelope(envelope, TYP.request, sshSigningKey(s.bob, 'bob'));
  if (sk)
    envelope = {
      ...envelope,
      signatures: [...envelope.signatures, skEntry(s.carol, envelope.payload, TYP.request, sk)],
    };
  return text(envelope);
}

void test('an ssh-agent approver and a security-key approver make 2 of 2, listed under identities', async (t) => {
  const s = await site(t);
  assert.deepEqual(
    s.root.people.map((p) => p.name),
    ['alice', 'noc', 'bob', 'carol'],
  );
  const verdict = await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 5 }), context(s.root));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  if (verdict.ok) assert.deepEqual([...verdict.approverNames].sort(), ['bob', 'carol']);
  // bob alone is one approver short.
  refused(await verifyChangeRequest(await request(s, undefined), context(s.root)), 'too-few-approvers');
});

void test('sk counters: replayed or lower refused; a refused message burns none; kept across restarts', async (t) => {
  const s = await site(t);
  const path = join(tempDir(t), 'sk-counters.json');
  const counters = new SkCounterStore(path);
  await counters.load();
  const ctx = context(s.root, { skCounters: counters });
  const carolId = [...s.root.person('carol')!.keyIds][0]!;
  const first = await request(s, { flags: UP | UV, counter: 5 });
  assert.equal((await verifyChangeRequest(first, ctx)).ok, true);
  // The same message again is a replay first (the clearer reason), whatever its counters.
  refused(await verifyChangeRequest(first, ctx), 'replayed');
  refused(
    await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 5 }), ctx),
    'sk-counter-replayed',
    /counter 5 is not above 5/,
  );
  refused(await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 4 }), ctx), 'sk-counter-replayed');
  // Refused for its target: counter 9 is not remembered, so the good message with 9 passes.
  refused(
    await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 9 }, { agent: 'other-pi' }), ctx),
    'wrong-agent',
  );
  assert.equal(counters.last(carolId), 5);
  assert.equal((await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 9 }), ctx)).ok, true);
  // After a restart the memory is read back from disk.
  const restarted = new SkCounterStore(path);
  await restarted.load();
  assert.equal(restarted.last(carolId), 9);
  const fresh = context(s.root, { skCounters: restarted });
  refused(await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 9 }), fresh), 'sk-counter-replayed');
  assert.equal((await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 10 }), fresh)).ok, true);
});

void test('the touch and the PIN: missing presence or (verify-required) verification refused', async (t) => {
  const s = await site(t);
  refused(
    await verifyChangeRequest(await request(s, { flags: UV, counter: 1 }), context(s.root)),
    'sk-presence-missing',
  );
  refused(
    await verifyChangeRequest(await request(s, { flags: UP, counter: 2 }), context(s.root)),
    'sk-verification-missing',
  );
  refused(
    await verifyChangeRequest(await request(s, { flags: UP | UV, counter: 3, namespace: 'git' }), context(s.root)),
    'ssh-wrong-namespace',
  );
  refused(
    await verifyChangeRequest(
      await request(s, { flags: UP | UV, counter: 4, alg: 'EdDSA' } as SkOptions),
      context(s.root),
    ),
    'ssh-key-type-mismatch',
  );
});

void test('one key cannot count twice: the same bytes as Ed25519 and SSH key, or plain and sk, refused', async () => {
  const k = testKey();
  const base = initRoot({
    rootKeys: [keys.alice],
    approverKeys: [keys.alice, keys.bob],
    rootThreshold: 1,
    approverThreshold: 1,
    suggestedRules: false,
  });
  const asPlain = addKey(base, sshKeyInfo(sshKeyEntry(pubLine(plainBlob(k))), 'dave'), ['approver']);
  const twice = addKey(asPlain, sshKeyInfo(sshKeyEntry(pubLine(skBlob(k))), 'erin'), ['approver']);
  await assert.rejects(async () => TrustRoot.fromEnvelopeText(text(await sign(twice, TYP.root, [keys.alice]))), {
    reason: 'root-invalid',
    message: /same key bytes/,
  });
  const aliceRaw = Buffer.from(keys.alice.publicKey, 'base64url');
  const aliceAsSsh = addKey(
    base,
    sshKeyInfo(sshKeyEntry(pubLine(Buffer.concat([plainBlob({ raw: aliceRaw } as TestKey)]))), 'mallory'),
    ['approver'],
  );
  await assert.rejects(async () => TrustRoot.fromEnvelopeText(text(await sign(aliceAsSsh, TYP.root, [keys.alice]))), {
    reason: 'root-invalid',
    message: /same key bytes/,
  });
});
