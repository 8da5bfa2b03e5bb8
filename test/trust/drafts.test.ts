// The CLI's planning functions: options in, a valid payload (or a clear refusal) out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildChange, parseChangeSpec, parseDurationSeconds, parseTime, routerRef } from '../../src/trust/drafts.js';
import { canonicalChange, changeDigest, featuresTurnedOn } from '../../src/trust/change.js';
import { TrustError } from '../../src/trust/refusal.js';
import { TrustRoot } from '../../src/trust/trust-root.js';

const T0 = Date.parse('2026-05-01T12:00:00Z');

void test('durations and times', () => {
  assert.equal(parseDurationSeconds('5m'), 300);
  assert.equal(parseDurationSeconds('90'), 90);
  assert.equal(parseDurationSeconds('1d'), 86_400);
  assert.throws(() => parseDurationSeconds('5 minutes'), { reason: 'bad-payload' });
  assert.equal(parseTime('+30m', T0), '2026-05-01T12:30:00.000Z');
  assert.equal(parseTime('2026-05-02T00:00:00+02:00', T0), '2026-05-01T22:00:00.000Z');
  assert.throws(() => parseTime('tomorrow', T0), { reason: 'bad-payload' });
});

void test('changes from options', () => {
  assert.deepEqual(buildChange({ enable: ['container'], disable: ['socks'] }), {
    features: { container: true, socks: false },
  });
  assert.deepEqual(buildChange({ mode: 'rose', flaggedNo: true }), { mode: 'rose', flagged: false });
  assert.throws(() => buildChange({ enable: ['teleport'] }), {
    reason: 'bad-payload',
    message: /"teleport" is not a device-mode feature/,
  });
  assert.throws(() => buildChange({ enable: ['socks'], disable: ['socks'] }), { message: /both enabled and disabled/ });
  assert.throws(() => buildChange({}), { message: /must set a mode, a feature or flagged=no/ });
  assert.throws(() => routerRef({}), { message: /exactly one/ });
  assert.deepEqual(buildChange(parseChangeSpec('mode=rose, container=yes,socks=no flagged=no')), {
    mode: 'rose',
    features: { container: true, socks: false },
    flagged: false,
  });
  assert.throws(() => parseChangeSpec('container'), { reason: 'bad-payload' });
  assert.throws(() => parseChangeSpec('flagged=yes'), { message: /only be set to no/ });
  assert.deepEqual(routerRef({ routerSystemId: 'X' }), { systemId: 'X' });
});

void test('the digest ignores key order; a mode counts every feature it enables', () => {
  assert.equal(
    changeDigest({ features: { socks: true, container: false } }),
    changeDigest({ features: { container: false, socks: true } }),
  );
  assert.notEqual(changeDigest({ features: { socks: true } }), changeDigest({ features: { socks: false } }));
  assert.notEqual(changeDigest({ mode: 'rose' }), changeDigest({ mode: 'rose', flagged: false }));
  assert.equal(canonicalChange({ mode: 'home' }), '{"mode":"home","features":[],"flagged":null}');
  assert.ok(featuresTurnedOn({ mode: 'advanced' }).includes('socks'));
  assert.ok(!featuresTurnedOn({ mode: 'advanced', features: { socks: false } }).includes('socks'));
  assert.deepEqual(featuresTurnedOn({ features: { container: true, socks: false } }), ['container']);
});

void test('property: trust root parsing never throws anything but a TrustError', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc
          .jsonValue()
          .map((v) =>
            JSON.stringify({ payload: Buffer.from(JSON.stringify(v)).toString('base64url'), signatures: [] }),
          ),
      ),
      (input) => {
        try {
          TrustRoot.fromEnvelopeText(input);
        } catch (error) {
          assert.ok(error instanceof TrustError, String(error));
        }
      },
    ),
    { numRuns: 300 },
  );
});
