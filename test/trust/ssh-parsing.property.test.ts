// SSH parsing never throws anything but a typed refusal, and a mutated signature never verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REFUSAL_CODES } from '../../src/mqtt/contract.js';
import { TrustError } from '../../src/trust/refusal.js';
import { parseSshPublicKey, parseSshPublicKeyBlob } from '../../src/trust/ssh/public-key.js';
import { dearmorSshSig, decodeSshSig, decodeSshSignature } from '../../src/trust/ssh/sshsig.js';
import { verifySshSig } from '../../src/trust/ssh/sshsig-verify.js';
import { params } from '../fuzz/support.js';
import { NS, plainBlob, plainSshSig, pubLine, skBlob, skSshSig, testKey, UP } from './ssh-fixtures.js';

const known = new Set<string>(REFUSAL_CODES);

function refusedOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TrustError, `not a TrustError: ${String((error as Error)?.stack ?? error)}`);
    assert.ok(known.has(error.reason), error.reason);
  }
}

void test('property: random bytes and text as keys, SSHSIGs and signatures give a value or a known refusal', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.string(), (bytes, text) => {
      for (const fn of [
        () => parseSshPublicKeyBlob(bytes),
        () => decodeSshSig(bytes),
        () => decodeSshSignature(bytes),
        () => parseSshPublicKey(text),
        () => dearmorSshSig(text),
        () => dearmorSshSig(`-----BEGIN SSH SIGNATURE-----\n${text}\n-----END SSH SIGNATURE-----`),
      ])
        refusedOrValue(fn);
    }),
    params(300),
  );
});

void test('property: any change to a valid SSHSIG (plain or security key) is refused, never accepted', () => {
  const k = testKey();
  const message = Buffer.from('eyJ0eXAiOiJ4In0.eyJuIjoxfQ');
  const cases = [
    { sig: plainSshSig(k, message), key: parseSshPublicKey(pubLine(plainBlob(k))) },
    { sig: skSshSig(k, message, { flags: UP, counter: 3 }), key: parseSshPublicKey(pubLine(skBlob(k))) },
  ];
  for (const { sig, key } of cases) verifySshSig(sig, message, key, { namespace: NS, at: 'control' });
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 7 }), fc.boolean(), (at, bit, which) => {
      const { sig, key } = cases[which ? 1 : 0]!;
      const mutated = Buffer.from(sig);
      mutated[at % mutated.length]! ^= 1 << bit;
      assert.throws(
        () => verifySshSig(mutated, message, key, { namespace: NS, at: 'mutated' }),
        (error: unknown) => {
          return error instanceof TrustError && known.has(error.reason);
        },
      );
    }),
    params(300),
  );
});
