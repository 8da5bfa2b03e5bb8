// Issue 10, items 1 and 2, from the attacker's side: the requester never counts however the
// message is written, and thresholds count people (identities), not keys. Messages are
// forged with node:crypto alone (./forger.ts), not with dmconfirm's signing code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publicKeyFromRaw } from '../../src/trust/keys.js';
import { TYP } from '../../src/trust/messages.js';
import { addKey, initRoot } from '../../src/trust/root-edit.js';
import type { RootPayload } from '../../src/trust/root-schema.js';
import { TrustRoot, verifyRotation, verifySelfSigned } from '../../src/trust/trust-root.js';
import { verifyChangeRequest, verifyPowerCycle } from '../../src/trust/verify.js';
import { AGENT, NOW, SERIAL, context, refused, requestPayload } from './fixtures.js';
import { forgerKey, forgeSimple } from './forger.js';
import type { ForgerKey } from './forger.js';

const alice = forgerKey();
const aliceBackup = forgerKey();
const bob = forgerKey();
const carol = forgerKey();
const opsBot = forgerKey();
const info = (k: ForgerKey, name: string) => publicKeyFromRaw(k.publicKey, name);

/** alice (2 keys: root, approver, requester), bob and carol approve (2 of 3), ops-bot requests. */
function payload(): RootPayload {
  let p = initRoot({
    rootKeys: [info(alice, 'alice'), info(bob, 'bob')],
    approverKeys: [info(alice, 'alice'), info(bob, 'bob'), info(carol, 'carol')],
    requesterKeys: [info(opsBot, 'ops-bot'), info(alice, 'alice')],
    rootThreshold: 2,
    approverThreshold: 2,
    suggestedRules: false,
  });
  p = addKey(p, info(aliceBackup, 'alice-yubikey'), [], { identity: 'alice', samePerson: true });
  return p;
}

async function root(p: RootPayload = payload(), signers: ForgerKey[] = [alice, bob]): Promise<TrustRoot> {
  const r = TrustRoot.fromEnvelopeText(forgeSimple(JSON.stringify(p), TYP.root, signers));
  await verifySelfSigned(r);
  return r;
}

const request = (requester: unknown) => JSON.stringify(requestPayload({ requester }));

void test('requester ops-bot: its signature never counts, and a request it did not sign is refused', async () => {
  const r = await root();
  const ok = await verifyChangeRequest(
    forgeSimple(request({ name: 'ops-bot' }), TYP.request, [opsBot, bob, carol]),
    context(r),
  );
  assert.equal(ok.ok, true, JSON.stringify(ok));
  if (ok.ok) assert.deepEqual(ok.approverNames.sort(), ['bob', 'carol']);
  refused(
    await verifyChangeRequest(forgeSimple(request({ name: 'ops-bot' }), TYP.request, [opsBot, bob]), context(r)),
    'too-few-approvers',
    /ops-bot \(the requester\)/,
  );
  refused(
    await verifyChangeRequest(forgeSimple(request({ name: 'ops-bot' }), TYP.request, [bob, carol]), context(r)),
    'requester-signature-missing',
  );
});

void test('a requester who also approves never counts, with or without a key id, with any of their keys', async () => {
  const r = await root();
  for (const requester of [{ name: 'alice' }, { name: 'alice', keyId: alice.keyId }]) {
    refused(
      await verifyChangeRequest(forgeSimple(request(requester), TYP.request, [alice, bob]), context(r)),
      'requester-cannot-approve',
      /alice \(the requester\)/,
    );
  }
  // Naming one key and signing also with the backup key: still alice, still not counted.
  const both = await verifyChangeRequest(
    forgeSimple(request({ name: 'alice', keyId: alice.keyId }), TYP.request, [alice, aliceBackup, bob]),
    context(r),
  );
  refused(both, 'requester-cannot-approve');
  // Naming the main key but signing only with the backup key: the named key did not sign.
  refused(
    await verifyChangeRequest(
      forgeSimple(request({ name: 'alice', keyId: alice.keyId }), TYP.request, [aliceBackup, bob, carol]),
      context(r),
    ),
    'requester-signature-missing',
  );
  const fine = await verifyChangeRequest(
    forgeSimple(request({ name: 'alice' }), TYP.request, [aliceBackup, bob, carol]),
    context(r),
  );
  assert.equal(fine.ok && fine.approverNames.sort().join(), 'bob,carol');
});

void test('a request must name a requester the trust root knows, with the requester role and its own key', async () => {
  const r = await root();
  refused(
    await verifyChangeRequest(forgeSimple(request({ name: 'ghost' }), TYP.request, [opsBot, bob, carol]), context(r)),
    'requester-unknown',
    /ghost/,
  );
  refused(
    await verifyChangeRequest(forgeSimple(request({ name: 'bob' }), TYP.request, [bob, alice, carol]), context(r)),
    'requester-unknown',
    /requester role/,
  );
  refused(
    await verifyChangeRequest(
      forgeSimple(request({ name: 'ops-bot', keyId: bob.keyId }), TYP.request, [opsBot, bob, carol]),
      context(r),
    ),
    'requester-unknown',
    /not a key of requester ops-bot/,
  );
  // `dmconfirm request --key bot.key --requester alice`, written by hand: ops-bot's key naming another requester.
  refused(
    await verifyChangeRequest(
      forgeSimple(request({ name: 'alice', keyId: opsBot.keyId }), TYP.request, [opsBot, bob, carol]),
      context(r),
    ),
    'requester-unknown',
    /not a key of requester alice/,
  );
  refused(
    await verifyChangeRequest(forgeSimple(request({ name: 'Ops-Bot' }), TYP.request, [opsBot, bob, carol]), context(r)),
    'requester-unknown',
  );
  const pc = JSON.stringify({
    v: 1,
    requestId: 'pc-00000001',
    agent: AGENT,
    router: { serial: SERIAL },
    issuedAt: new Date(NOW - 1000).toISOString(),
    kind: 'power-cycle',
    reason: 'hung',
  });
  refused(
    await verifyPowerCycle(forgeSimple(pc, TYP.powerCycle, [alice, bob]), context(r)),
    'bad-payload',
    /requester/,
  );
});

void test('two keys of one person count once: "approved by alice, alice" is impossible', async () => {
  const r = await root();
  const verdict = await verifyChangeRequest(
    forgeSimple(request({ name: 'ops-bot' }), TYP.request, [opsBot, alice, aliceBackup]),
    context(r),
  );
  refused(verdict, 'duplicate-signer', /counted: alice; not counted: ops-bot \(the requester\), alice \(again\)/);
});

void test('a root threshold is met by people: one person with two keys is one root holder', async () => {
  const p = payload();
  await assert.rejects(root(p, [alice, aliceBackup]), { reason: 'root-threshold' });
  const current = await root(p);
  const next = { ...p, version: 2 };
  const byAliceTwice = TrustRoot.fromEnvelopeText(
    forgeSimple(JSON.stringify(next), TYP.root, [alice, aliceBackup, bob]),
  );
  assert.equal(await verifyRotation(current, byAliceTwice), 'rotated', 'alice and bob: two people');
  const aliceOnly = TrustRoot.fromEnvelopeText(forgeSimple(JSON.stringify(next), TYP.root, [alice, aliceBackup]));
  await assert.rejects(verifyRotation(current, aliceOnly), { reason: 'root-rotation-threshold' });
});

void test("identities: unique (ignoring case), plain names; a key is one person's; joining needs --same-person", () => {
  const p = payload();
  const twin = {
    ...p,
    identities: [
      ...p.identities,
      {
        name: 'ALICE',
        roles: ['approver' as const],
        keys: [{ kind: 'ed25519' as const, keyId: carol.keyId, publicKey: carol.publicKey }],
      },
    ],
  };
  assert.throws(() => TrustRoot.fromEnvelopeText(forgeSimple(JSON.stringify(twin), TYP.root, [alice])), {
    reason: 'root-invalid',
  });
  const shared = structuredClone(p);
  shared.identities
    .find((i) => i.name === 'bob')!
    .keys.push(shared.identities.find((i) => i.name === 'carol')!.keys[0]!);
  assert.throws(() => TrustRoot.fromEnvelopeText(forgeSimple(JSON.stringify(shared), TYP.root, [alice])), {
    reason: 'root-invalid',
    detail: /belongs to one identity/,
  });
  for (const name of ['alice, bob', 'alice bob', 'al\u200bice', '', '-x']) {
    const bad = {
      ...p,
      identities: [
        ...p.identities,
        { name, roles: ['approver'], keys: [{ kind: 'ed25519', keyId: forgerKey().keyId, publicKey: 'x' }] },
      ],
    };
    assert.throws(
      () => TrustRoot.fromEnvelopeText(forgeSimple(JSON.stringify(bad), TYP.root, [alice])),
      { reason: 'root-invalid' },
      name,
    );
  }
  const dave = forgerKey();
  assert.throws(() => addKey(p, info(dave, 'alice'), ['approver']), {
    reason: 'root-invalid',
    detail: /same-person/,
  });
  assert.throws(() => addKey(p, info(dave, 'Bob'), ['approver']), { reason: 'root-invalid', detail: /same-person/ });
  const joined = addKey(p, info(dave, 'alice'), [], { samePerson: true });
  assert.equal(joined.identities.find((i) => i.name === 'alice')!.keys.length, 3);
  assert.throws(() => addKey(p, info(dave, 'dave'), ['approver'], { samePerson: true }), {
    reason: 'root-invalid',
    detail: /no identity named/,
  });
});

void test('thresholds and rules cannot exceed the number of people holding the role', () => {
  const p = payload();
  assert.throws(
    () =>
      TrustRoot.fromEnvelopeText(
        forgeSimple(JSON.stringify({ ...p, thresholds: { root: 3, approver: 2 } }), TYP.root, [alice]),
      ),
    { reason: 'root-invalid', detail: /2 hold it/ },
  );
  const oneApprover = initRoot({
    rootKeys: [info(alice, 'alice')],
    approverKeys: [info(alice, 'alice')],
    rootThreshold: 1,
    approverThreshold: 1,
    suggestedRules: false,
  });
  const twoKeys = addKey(oneApprover, info(aliceBackup, 'alice'), [], { samePerson: true });
  assert.throws(
    () =>
      TrustRoot.fromEnvelopeText(
        forgeSimple(JSON.stringify({ ...twoKeys, thresholds: { root: 1, approver: 2 } }), TYP.root, [alice]),
      ),
    { reason: 'root-invalid' },
  );
});
