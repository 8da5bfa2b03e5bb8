// Parsing never throws: random input and mutated valid messages always give a typed refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TYP } from '../../src/trust/messages.js';
import { REFUSAL_CODES as REFUSAL_REASONS } from '../../src/mqtt/contract.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { b64json, context, keys, requestPayload, sign, text, trustRootV1 } from './fixtures.js';

const known = new Set<string>(REFUSAL_REASONS);

async function expectRefusal(input: string | Uint8Array, root: Awaited<ReturnType<typeof trustRootV1>>): Promise<void> {
  const verdict = await verifyChangeRequest(input, context(root));
  assert.equal(verdict.ok, false);
  if (!verdict.ok) assert.ok(known.has(verdict.reason), verdict.reason);
}

void test('property: arbitrary strings, bytes and JSON are refused with a known reason', async () => {
  const root = await trustRootV1();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string(),
        fc.uint8Array({ maxLength: 300 }),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify({ payload: 'e30', signatures: [v] })),
      ),
      (input) => expectRefusal(input, root),
    ),
    { numRuns: 300 },
  );
});

void test("property: any change to a valid message's payload or signatures is refused", async () => {
  const root = await trustRootV1();
  const good = await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]);
  assert.equal((await verifyChangeRequest(text(good), context(root))).ok, true, 'control');
  const field = fc.constantFrom('payload', 'protected0', 'signature0', 'protected1', 'signature1');
  await fc.assert(
    fc.asyncProperty(field, fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), async (which, position, insert) => {
      const copy = structuredClone(good);
      const edit = (s: string) => {
        const i = position % (s.length + 1);
        const next = s.slice(0, i) + insert + s.slice(i + 1);
        return next === s ? s + insert : next;
      };
      if (which === 'payload') copy.payload = edit(copy.payload);
      else {
        const sig = copy.signatures[Number(which.at(-1))]!;
        if (which.startsWith('protected')) sig.protected = edit(sig.protected);
        else sig.signature = edit(sig.signature);
      }
      await expectRefusal(text(copy), root);
    }),
    { numRuns: 400 },
  );
});

void test('property: arbitrary protected headers never pass and never throw', async () => {
  const root = await trustRootV1();
  const good = await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]);
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.constantFrom('alg', 'typ', 'kid', 'b64', 'crit', 'jwk', 'x5u'), fc.jsonValue()),
      async (header) => {
        const copy = structuredClone(good);
        copy.signatures[0]!.protected = b64json(header);
        await expectRefusal(text(copy), root);
      },
    ),
    { numRuns: 300 },
  );
});
