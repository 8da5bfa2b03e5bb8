// Every forged, malformed or misdirected change request is refused with its own reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { MAX_MESSAGE_BYTES } from '../../src/trust/jws.js';
import type { Envelope } from '../../src/trust/jws.js';
import { TYP } from '../../src/trust/messages.js';
import { addKey, removeKey } from '../../src/trust/root-edit.js';
import { TrustRoot } from '../../src/trust/trust-root.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import {
  b64json,
  context,
  keys,
  refused,
  requestPayload,
  rootPayload,
  sign,
  signedRoot,
  signExactly,
  text,
  trustRootV1,
} from './fixtures.js';

async function goodEnvelope(payload = requestPayload()): Promise<Envelope> {
  return sign(payload, TYP.request, [keys.alice, keys.bob]);
}

/** Replaces the first signature's protected header (keeping its now-unrelated signature). */
function withHeader(
  envelope: Envelope,
  header: Record<string, unknown>,
  signature = envelope.signatures[0]!.signature,
): Envelope {
  return { ...envelope, signatures: [{ protected: b64json(header), signature }, ...envelope.signatures.slice(1)] };
}

void test('control: the well-formed 2-of-3 request is accepted and names both approvers', async () => {
  const verdict = await verifyChangeRequest(text(await goodEnvelope()), context(await trustRootV1()));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  if (verdict.ok) assert.deepEqual(verdict.approverNames.sort(), ['alice', 'bob']);
});

void test('wrong key: a signature claiming alice made with another key', async () => {
  const envelope = await sign(requestPayload(), TYP.request, [{ ...keys.mallory, keyId: keys.alice.keyId }, keys.bob]);
  refused(await verifyChangeRequest(text(envelope), context(await trustRootV1())), 'bad-signature', /alice/);
});

void test('unknown key: a key that is not in the trust root', async () => {
  const envelope = await sign(requestPayload(), TYP.request, [keys.mallory, keys.bob]);
  refused(
    await verifyChangeRequest(text(envelope), context(await trustRootV1())),
    'unknown-key',
    /not in trust root v1/,
  );
});

void test('signatures are checked at once; the first to fail in envelope order is the one refused', async () => {
  const forged = { ...keys.mallory, keyId: keys.alice.keyId };
  const root = await trustRootV1();
  const badThenUnknown = await signExactly(requestPayload(), TYP.request, [forged, keys.mallory]);
  refused(await verifyChangeRequest(text(badThenUnknown), context(root)), 'bad-signature', /signature 1 .*alice/);
  const unknownThenBad = await signExactly(requestPayload(), TYP.request, [keys.mallory, forged]);
  refused(await verifyChangeRequest(text(unknownThenBad), context(root)), 'unknown-key', /signature 1/);
  const goodThenBad = await signExactly(requestPayload(), TYP.request, [keys.noc, forged]);
  refused(await verifyChangeRequest(text(goodThenBad), context(root)), 'bad-signature', /signature 2 .*alice/);
});

void test('revoked key: carol was removed in v2, her signature no longer verifies', async () => {
  const v2 = TrustRoot.fromEnvelopeText(
    await signedRoot({ ...removeKey(rootPayload(), 'carol'), version: 2 }, [keys.alice, keys.bob]),
  );
  const envelope = await sign(requestPayload(), TYP.request, [keys.bob, keys.carol]);
  assert.equal((await verifyChangeRequest(text(envelope), context(await trustRootV1()))).ok, true);
  refused(await verifyChangeRequest(text(envelope), context(v2)), 'unknown-key', /v2/);
});

void test('too few approvers: one signature where two are needed', async () => {
  const envelope = await sign(requestPayload(), TYP.request, [keys.alice]);
  refused(await verifyChangeRequest(text(envelope), context(await trustRootV1())), 'too-few-approvers', /1 of 2/);
});

void test('the same approver twice counts once', async () => {
  const once = await signExactly(requestPayload(), TYP.request, [keys.noc, keys.alice]);
  const twice = { ...once, signatures: [...once.signatures, once.signatures[1]!] };
  refused(await verifyChangeRequest(text(twice), context(await trustRootV1())), 'duplicate-signer', /alice \(again\)/);
});

/** v1 where alice also holds the requester role (people may both request and approve). */
async function aliceRequests(): Promise<TrustRoot> {
  return TrustRoot.fromEnvelopeText(
    await signedRoot(addKey(rootPayload(), keys.alice, ['requester']), [keys.alice, keys.bob]),
  );
}

void test('the requester approving its own request does not count', async () => {
  const payload = requestPayload({ requester: { name: 'alice', keyId: keys.alice.keyId } });
  const envelope = await sign(payload, TYP.request, [keys.alice, keys.bob]);
  refused(
    await verifyChangeRequest(text(envelope), context(await aliceRequests())),
    'requester-cannot-approve',
    /alice \(the requester\)/,
  );
  const ok = await verifyChangeRequest(
    text(await sign(payload, TYP.request, [keys.alice, keys.bob, keys.carol])),
    context(await aliceRequests()),
  );
  assert.equal(ok.ok, true);
  if (ok.ok) assert.deepEqual(ok.approverNames.sort(), ['bob', 'carol']);
});

void test('a named requester must have signed', async () => {
  const payload = requestPayload({ requester: { name: 'alice', keyId: keys.alice.keyId } });
  const envelope = await sign(payload, TYP.request, [keys.bob, keys.carol]);
  refused(await verifyChangeRequest(text(envelope), context(await aliceRequests())), 'requester-signature-missing');
  const unnamedKey = await signExactly(requestPayload(), TYP.request, [keys.bob, keys.carol]);
  refused(
    await verifyChangeRequest(text(unnamedKey), context(await trustRootV1())),
    'requester-signature-missing',
    /any key of/,
  );
});

void test('tampered payload: a feature added after signing', async () => {
  const envelope = await goodEnvelope();
  const tampered = requestPayload({ change: { features: { container: true, socks: true } } });
  const forged = {
    ...envelope,
    payload: b64json({
      ...tampered,
      requestId: (JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { requestId: string }).requestId,
    }),
  };
  refused(await verifyChangeRequest(text(forged), context(await trustRootV1())), 'bad-signature', /tampered/);
});

void test('alg none is refused by name', async () => {
  const envelope = withHeader(await goodEnvelope(), { alg: 'none', typ: TYP.request, kid: keys.alice.keyId }, '');
  refused(await verifyChangeRequest(text(envelope), context(await trustRootV1())), 'bad-alg', /"none"/);
});

void test('HS256 keyed with the public key is refused', async () => {
  const envelope = await goodEnvelope();
  const protectedB64 = b64json({ alg: 'HS256', typ: TYP.request, kid: keys.alice.keyId });
  const mac = createHmac('sha256', Buffer.from(keys.alice.publicKey, 'base64url'))
    .update(`${protectedB64}.${envelope.payload}`)
    .digest('base64url');
  const forged = { ...envelope, signatures: [{ protected: protectedB64, signature: mac }, envelope.signatures[1]!] };
  refused(await verifyChangeRequest(text(forged), context(await trustRootV1())), 'bad-alg', /HS256/);
});

void test('b64:false and an unknown crit header are refused', async () => {
  const base = { alg: 'EdDSA', typ: TYP.request, kid: keys.alice.keyId };
  refused(
    await verifyChangeRequest(
      text(withHeader(await goodEnvelope(), { ...base, b64: false, crit: ['b64'] })),
      context(await trustRootV1()),
    ),
    'b64-forbidden',
  );
  refused(
    await verifyChangeRequest(
      text(withHeader(await goodEnvelope(), { ...base, crit: ['exp'], exp: 1 })),
      context(await trustRootV1()),
    ),
    'crit-forbidden',
  );
  refused(
    await verifyChangeRequest(
      text(withHeader(await goodEnvelope(), { ...base, jku: 'https://evil' })),
      context(await trustRootV1()),
    ),
    'bad-header',
    /jku/,
  );
});

void test('an unprotected header is refused', async () => {
  const envelope = await goodEnvelope();
  const forged = {
    ...envelope,
    signatures: [{ ...envelope.signatures[0]!, header: { kid: keys.carol.keyId } }, envelope.signatures[1]!],
  };
  refused(await verifyChangeRequest(text(forged), context(await trustRootV1())), 'unprotected-header');
});

void test("missing typ and another kind's typ are refused", async () => {
  const noTyp = await sign(requestPayload(), '', [keys.alice, keys.bob]);
  const stripped = withHeader(noTyp, { alg: 'EdDSA', kid: keys.alice.keyId });
  refused(await verifyChangeRequest(text(stripped), context(await trustRootV1())), 'bad-typ', /null/);
  const asApproval = await sign(requestPayload(), TYP.approval, [keys.alice, keys.bob]);
  refused(await verifyChangeRequest(text(asApproval), context(await trustRootV1())), 'bad-typ', /approval/);
});

void test('an oversized message is refused before parsing', async () => {
  const big = requestPayload({ requester: { name: 'x'.repeat(64) } });
  const envelope = await goodEnvelope(big);
  const padded = text(envelope).replace('{', `{${' '.repeat(MAX_MESSAGE_BYTES)}`);
  refused(await verifyChangeRequest(padded, context(await trustRootV1())), 'too-large');
});

void test('malformed input: not JSON, not UTF-8, not a general JWS', async () => {
  const ctx = context(await trustRootV1());
  refused(await verifyChangeRequest('{"payload":', ctx), 'malformed', /not JSON/);
  refused(await verifyChangeRequest(new Uint8Array([0x7b, 0xff, 0x7d]), ctx), 'malformed', /UTF-8/);
  refused(await verifyChangeRequest('{"protected":"e30","payload":"e30","signature":"AA"}', ctx), 'malformed');
  refused(await verifyChangeRequest('eyJhbGciOiJFZERTQSJ9.e30.AA', ctx), 'malformed');
});

void test('a valid signature over a payload that breaks the schema is refused', async () => {
  const envelope = await sign({ ...requestPayload(), extra: 1 }, TYP.request, [keys.alice, keys.bob]);
  refused(await verifyChangeRequest(text(envelope), context(await trustRootV1())), 'bad-payload');
  const wrongDigest = await sign(requestPayload({ digest: 'x' }), TYP.request, [keys.alice, keys.bob]);
  refused(await verifyChangeRequest(text(wrongDigest), context(await trustRootV1())), 'digest-mismatch');
});

void test('wrong agent and wrong router serial are refused', async () => {
  const root = await trustRootV1();
  refused(
    await verifyChangeRequest(
      text(await sign(requestPayload({ agent: 'other-pi' }), TYP.request, [keys.alice, keys.bob])),
      context(root),
    ),
    'wrong-agent',
    /other-pi/,
  );
  refused(
    await verifyChangeRequest(
      text(await sign(requestPayload({ router: { serial: 'HF999' } }), TYP.request, [keys.alice, keys.bob])),
      context(root),
    ),
    'wrong-router',
    /HF999/,
  );
  refused(
    await verifyChangeRequest(
      text(await sign(requestPayload({ router: { systemId: 'ABC' } }), TYP.request, [keys.alice, keys.bob])),
      context(root),
    ),
    'wrong-router',
  );
});

void test('a per-feature rule raises the count: socks needs 2 even when approvers need 1', async () => {
  const payload = rootPayload();
  const lenient = TrustRoot.fromEnvelopeText(
    await signedRoot({ ...payload, thresholds: { ...payload.thresholds, approver: 1 } }, [keys.alice, keys.bob]),
  );
  const container = await sign(requestPayload(), TYP.request, [keys.alice]);
  assert.equal((await verifyChangeRequest(text(container), context(lenient))).ok, true);
  const req = requestPayload({}, { features: { socks: true } });
  refused(
    await verifyChangeRequest(text(await sign(req, TYP.request, [keys.alice])), context(lenient)),
    'too-few-approvers',
    /socks needs 2/,
  );
});

void test('a signature spelled non-canonically (unused bits of its last character set) is refused', async () => {
  const envelope = await goodEnvelope();
  const sig = envelope.signatures[0]!.signature;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(sig.at(-1)!);
  const respelled = sig.slice(0, -1) + alphabet[last ^ 1]!; // same decoded bytes: 64 bytes leave 4 bits unused
  assert.deepEqual(Buffer.from(respelled, 'base64url'), Buffer.from(sig, 'base64url'));
  const forged = {
    ...envelope,
    signatures: [{ ...envelope.signatures[0]!, signature: respelled }, envelope.signatures[1]!],
  };
  refused(await verifyChangeRequest(text(forged), context(await trustRootV1())), 'malformed', /canonical/);
});
