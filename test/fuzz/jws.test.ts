// Fuzzing the JWS layer and the trust root below what test/trust/parsing.property.test.ts
// covers (whole verifiers with random input): parseEnvelope and verifyEnvelope on their
// own, trust roots with random and re-signed mutated payloads, and root updates through
// the store. Every outcome is a value or a TrustError; anything else is a bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseEnvelope, verifyEnvelope, type Envelope } from '../../src/trust/jws.js';
import { TYP } from '../../src/trust/messages.js';
import { REFUSAL_CODES as REFUSAL_REASONS } from '../../src/mqtt/contract.js';
import { TrustError } from '../../src/trust/refusal.js';
import { TrustRoot, verifyRotation, verifySelfSigned } from '../../src/trust/trust-root.js';
import { TrustStore } from '../../src/trust/trust-store.js';
import { keys, rootPayload, sign, signedRoot, text, trustRootV1 } from '../trust/fixtures.js';
import { guardProcess, jsonEdit, mutateJson, params, slowRuns } from './support.js';

guardProcess();
const known = new Set<string>(REFUSAL_REASONS);

/** Runs `fn`; a TrustError with a known reason is an accepted outcome, anything else thrown is not. */
async function valueOrRefusal<T>(fn: () => T | Promise<T>): Promise<T | TrustError> {
  try {
    return await fn();
  } catch (error) {
    assert.ok(error instanceof TrustError, `not a TrustError: ${String((error as Error)?.stack ?? error)}`);
    assert.ok(known.has(error.reason), error.reason);
    return error;
  }
}

const b64 = fc.oneof(
  fc.base64String().map((s) => Buffer.from(s, 'base64').toString('base64url')),
  fc.string(),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
);
const signatureEntry = fc.record({ protected: b64, signature: b64, header: fc.jsonValue() }, { requiredKeys: [] });
const envelopeText = fc.oneof(
  fc.string(),
  fc.uint8Array({ maxLength: 300 }),
  fc.jsonValue().map(text),
  fc
    .record(
      {
        payload: fc.oneof(b64, fc.jsonValue()),
        signatures: fc.oneof(fc.array(signatureEntry, { maxLength: 20 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map(text),
);

void test('fuzz parseEnvelope/verifyEnvelope: a value or a TrustError for any input and any lookup', async () => {
  const root = await trustRootV1();
  await fc.assert(
    fc.asyncProperty(envelopeText, fc.constantFrom(TYP.request, TYP.approval, TYP.root), async (input, typ) => {
      const envelope = await valueOrRefusal(() => parseEnvelope(input));
      if (envelope instanceof TrustError) return;
      const verified = await valueOrRefusal(() =>
        verifyEnvelope(envelope, typ, (kid) => root.lookup(kid), 'the fuzz root'),
      );
      assert.ok(verified instanceof TrustError, 'random input never verifies');
    }),
    params(400),
  );
});

void test('fuzz verifyEnvelope: signatures spliced between valid envelopes are refused', async () => {
  const root = await trustRootV1();
  const a = await sign({ n: 1 }, TYP.request, [keys.alice, keys.bob]);
  const b = await sign({ n: 2 }, TYP.approval, [keys.carol, keys.mallory]);
  const pool = [...a.signatures, ...b.signatures];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(a.payload, b.payload),
      fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 5 }),
      async (payload, picks) => {
        const envelope: Envelope = { payload, signatures: picks.map((i) => pool[i]!) };
        const own = payload === a.payload ? a.signatures : b.signatures;
        const outcome = await valueOrRefusal(() =>
          verifyEnvelope(
            envelope,
            payload === a.payload ? TYP.request : TYP.approval,
            (kid) => root.lookup(kid),
            'root',
          ),
        );
        // Only the envelope's own signatures by root-known keys can verify.
        if (!(outcome instanceof TrustError))
          assert.ok(
            envelope.signatures.every((s) => own.includes(s)),
            'a foreign signature verified',
          );
      },
    ),
    params(200),
  );
});

void test('fuzz trust root: mutated payloads, re-signed by the root keys, load or are refused', async () => {
  const valid = rootPayload();
  await fc.assert(
    fc.asyncProperty(fc.array(jsonEdit(fc), { minLength: 1, maxLength: 3 }), async (edits) => {
      const mutated = mutateJson(valid, edits);
      const signed = text(await sign(mutated, TYP.root, [keys.alice, keys.bob]));
      const root = await valueOrRefusal(() => TrustRoot.fromEnvelopeText(signed));
      if (root instanceof TrustError) return;
      await valueOrRefusal(() => verifySelfSigned(root));
    }),
    params(slowRuns(150)),
  );
});

void test('fuzz trust root: random roots are refused or rotate it; a self-signed root is always held', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'dmconfirm-fuzz-root-'));
  const store = new TrustStore(stateDir);
  await store.load(await signedRoot(rootPayload(), [keys.alice, keys.bob]));
  const v2 = rootPayload({ version: 2 });
  const candidates = fc.oneof(
    envelopeText.map((t) => (typeof t === 'string' ? t : Buffer.from(t).toString('latin1'))),
    fc
      .tuple(
        fc.array(jsonEdit(fc), { minLength: 1, maxLength: 2 }),
        fc.subarray([keys.alice, keys.bob, keys.carol, keys.mallory], { minLength: 1 }),
      )
      .map(([edits, signers]) => ({ edits, signers })),
  );
  await fc.assert(
    fc.asyncProperty(candidates, async (candidate) => {
      const offered =
        typeof candidate === 'string'
          ? candidate
          : text(await sign(mutateJson(v2, candidate.edits), TYP.root, candidate.signers));
      const result = await store.update(offered);
      if (!result.ok) assert.ok(known.has(result.reason), result.reason);
      const current = store.current;
      // Whatever happened, the store holds a root that verifies against itself.
      await verifySelfSigned(current);
      if (result.ok) await valueOrRefusal(() => verifyRotation(current, current));
    }),
    params(slowRuns(150)),
  );
});
