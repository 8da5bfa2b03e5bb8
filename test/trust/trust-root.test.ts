// The trust root: self-signature, rotation N -> N+1 by old AND new root keys, no rollback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../../src/trust/keys.js';
import { addKey, migrateLegacy, removeKey, setThreshold } from '../../src/trust/root-edit.js';
import { checkTrustRoot } from '../../src/doctor/local-checks.js';
import { TYP } from '../../src/trust/messages.js';
import { validatePayload } from '../../src/trust/root-schema.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { TrustRoot, verifyRotation, verifySelfSigned } from '../../src/trust/trust-root.js';
import { TRUST_ROOT_FILE, TrustStore } from '../../src/trust/trust-store.js';
import { context, keys, requestPayload, rootPayload, sign, signedRoot, tempDir, text } from './fixtures.js';

const dave = generateSigningKey('dave');
const erin = generateSigningKey('erin');

/** v2 replaces the root keys alice+bob by dave+erin. */
function v2Payload() {
  let p = addKey(rootPayload(), dave, ['root']);
  p = addKey(p, erin, ['root']);
  const identities = p.identities.map((i) =>
    i.name === 'dave' || i.name === 'erin' ? i : { ...i, roles: i.roles.filter((r) => r !== 'root') },
  );
  return { ...p, identities, thresholds: { ...p.thresholds, root: 2 }, version: 2 };
}

async function rejects(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: { reason?: string; detail?: string }) => {
    assert.equal(error.reason, reason, error.detail);
    return true;
  });
}

void test('a root is valid only with a threshold of its own root keys', async () => {
  await verifySelfSigned(TrustRoot.fromEnvelopeText(await signedRoot(rootPayload(), [keys.alice, keys.bob])));
  await rejects(
    verifySelfSigned(TrustRoot.fromEnvelopeText(await signedRoot(rootPayload(), [keys.alice]))),
    'root-threshold',
  );
  await rejects(
    verifySelfSigned(TrustRoot.fromEnvelopeText(await signedRoot(rootPayload(), [keys.alice, keys.carol]))),
    'root-threshold',
  );
});

void test('a key listed under an id that its bytes do not give is refused', () => {
  const p = rootPayload();
  const [first, ...rest] = p.identities;
  const forged = {
    ...p,
    identities: [{ ...first!, keys: [{ ...first!.keys[0]!, publicKey: keys.mallory.publicKey }] }, ...rest],
  };
  assert.throws(
    () =>
      TrustRoot.fromEnvelopeText(
        JSON.stringify({ payload: Buffer.from(JSON.stringify(forged)).toString('base64url'), signatures: [] }),
      ),
    { reason: 'root-invalid' },
  );
});

void test('unsatisfiable thresholds and rules are refused', () => {
  assert.throws(() => setThreshold(rootPayload(), { role: 'approver' }, 4), { reason: 'root-invalid' });
  assert.throws(() => setThreshold(rootPayload(), { feature: 'socks' }, 4), { reason: 'root-invalid' });
  assert.equal(setThreshold(rootPayload(), { feature: 'socks' }, 0).rules?.features?.socks, undefined);
});

void test('rotation: accepted with both old and new root signatures', async () => {
  const v1 = TrustRoot.fromEnvelopeText(await signedRoot(rootPayload(), [keys.alice, keys.bob]));
  const v2 = TrustRoot.fromEnvelopeText(await signedRoot(v2Payload(), [keys.alice, keys.bob, dave, erin]));
  assert.equal(await verifyRotation(v1, v2), 'rotated');
  await verifySelfSigned(v2); // old keys' signatures are ignored, not fatal, when checked alone
});

void test('rotation signed only by the new keys is refused', async () => {
  const v1 = TrustRoot.fromEnvelopeText(await signedRoot(rootPayload(), [keys.alice, keys.bob]));
  const v2 = TrustRoot.fromEnvelopeText(await signedRoot(v2Payload(), [dave, erin]));
  await rejects(verifyRotation(v1, v2), 'root-rotation-threshold');
  const onlyOld = TrustRoot.fromEnvelopeText(await signedRoot(v2Payload(), [keys.alice, keys.bob, dave]));
  await rejects(verifyRotation(v1, onlyOld), 'root-threshold');
});

void test('the store keeps the newest root, survives restarts and never goes back', async (t) => {
  const dir = tempDir(t);
  const v1Text = await signedRoot(rootPayload(), [keys.alice, keys.bob]);
  const v2Text = await signedRoot({ ...removeKey(rootPayload(), 'carol'), version: 2 }, [keys.alice, keys.bob]);
  const v3Text = await signedRoot({ ...removeKey(rootPayload(), 'carol'), version: 3 }, [keys.alice, keys.bob]);
  const store = new TrustStore(dir);
  assert.equal((await store.load(v1Text)).root.version, 1);
  const gap = await store.update(v3Text);
  assert.equal(gap.ok ? 'ok' : gap.reason, 'root-version-gap');
  const rotated = await store.update(v2Text);
  assert.equal(rotated.ok && rotated.outcome, 'rotated');
  assert.equal(readFileSync(join(dir, TRUST_ROOT_FILE), 'utf8'), v2Text, 'stored byte for byte');

  const rollback = await store.update(v1Text);
  assert.equal(rollback.ok ? 'ok' : rollback.reason, 'root-rollback');
  const restarted = new TrustStore(dir);
  const loaded = await restarted.load(v1Text); // the configured file is older: ignored
  assert.equal(loaded.root.version, 2);
  assert.match(loaded.notes.join(), /root-rollback/);
  const conflicting = await signedRoot({ ...rootPayload(), version: 2 }, [keys.alice, keys.bob]);
  const conflict = await restarted.update(conflicting);
  assert.equal(conflict.ok ? 'ok' : conflict.reason, 'root-version-conflict');
  const same = await restarted.update(v2Text);
  assert.equal(same.ok && same.outcome, 'unchanged');
});

void test('an empty store refuses a configured root that is not validly signed', async (t) => {
  const store = new TrustStore(tempDir(t));
  await rejects(store.load(await signedRoot(rootPayload(), [keys.alice])), 'root-threshold');
});

void test('a schema-1 root authorizes nothing but can be migrated and rotated to schema 2', async (t) => {
  const entry = (k: typeof keys.alice) => ({ name: k.name, publicKey: k.publicKey });
  const legacy = {
    type: 'dmconfirm-trust-root',
    version: 4,
    keys: {
      [keys.alice.keyId]: entry(keys.alice),
      [keys.bob.keyId]: entry(keys.bob),
      [keys.carol.keyId]: entry(keys.carol),
      [keys.noc.keyId]: entry(keys.noc),
    },
    roles: {
      root: { keyIds: [keys.alice.keyId, keys.bob.keyId], threshold: 2 },
      approver: { keyIds: [keys.alice.keyId, keys.bob.keyId, keys.carol.keyId], threshold: 2 },
    },
  };
  const v4Text = await signedRoot(legacy as never, [keys.alice, keys.bob]);
  const v4 = TrustRoot.fromEnvelopeText(v4Text);
  await verifySelfSigned(v4);
  const message = text(await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]));
  const verdict = await verifyChangeRequest(message, context(v4));
  assert.equal(verdict.ok ? 'ok' : verdict.reason, 'root-outdated');
  assert.throws(() => validatePayload(legacy), { reason: 'root-outdated', detail: /trust migrate/ });

  const doctor = await checkTrustRoot({
    configured: { path: 'trust.json', text: v4Text },
    stored: { path: 's', error: 'ENOENT' },
  });
  assert.equal(doctor.status, 'fail');
  assert.match(`${doctor.detail} ${doctor.fix ?? ''}`, /schema-1.*root-outdated.*trust migrate/);

  const v5 = migrateLegacy(legacy);
  assert.equal(v5.version, 5);
  assert.deepEqual(
    v5.identities.find((i) => i.name === 'noc')?.roles,
    ['requester'],
    'a key without a role could only request',
  );
  const store = new TrustStore(tempDir(t));
  await store.load(v4Text);
  await rejects(
    verifyRotation(v4, TrustRoot.fromEnvelopeText(await signedRoot(v5, [keys.alice]))),
    'root-rotation-threshold',
  );
  const rotated = await store.update(await signedRoot(v5, [keys.alice, keys.bob]));
  assert.equal(rotated.ok && rotated.outcome, 'rotated');
  assert.equal((await verifyChangeRequest(message, context(store.current))).ok, true);
  const v5Text = await signedRoot(v5, [keys.alice, keys.bob]);
  const afterMigration = await checkTrustRoot({
    configured: { path: 'trust.json', text: v5Text },
    stored: { path: 's', text: v4Text },
  });
  assert.equal(afterMigration.status, 'ok', afterMigration.detail);
});
