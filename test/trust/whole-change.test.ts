// Issue 10, item 5: local policy (and the trust root's feature rules) see every feature a
// change can turn on, including those its mode enables; flagging-enabled is never changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDeviceMode, expectedAfter } from '../../src/agent/decisions.js';
import { DEVICE_MODES, DEVICE_MODE_FEATURES, modeDefaults } from '../../src/routeros/device-mode.js';
import type { DeviceModeState } from '../../src/routeros/device-mode.js';
import { TYP } from '../../src/trust/messages.js';
import { TrustRoot } from '../../src/trust/trust-root.js';
import { verifyApproval, verifyChangeRequest } from '../../src/trust/verify.js';
import { NonceStore } from '../../src/trust/nonce-store.js';
import { buildApproval } from '../../src/trust/drafts.js';
import {
  AGENT,
  NOW,
  SERIAL,
  context,
  keys,
  policy,
  refused,
  requestPayload,
  rootPayload,
  signedRoot,
  trustRootV1,
} from './fixtures.js';
import { forgeSimple } from './forger.js';

const signers = [keys.noc, keys.alice, keys.bob];
const request = (change: object) => forgeSimple(JSON.stringify(requestPayload({}, change)), TYP.request, signers);

void test('every mode: each feature it enables must be allowed by local policy', async () => {
  const root = await trustRootV1();
  for (const mode of DEVICE_MODES) {
    const enabled = DEVICE_MODE_FEATURES.filter((f) => modeDefaults(mode)[f]);
    const all = { ...policy, allowedModes: [...DEVICE_MODES], allowedFeatures: enabled };
    const verdict = await verifyChangeRequest(request({ mode }), context(root, { policy: all }));
    assert.equal(verdict.ok, true, `${mode}: ${JSON.stringify(verdict)}`);
    for (const missing of enabled) {
      const narrow = { ...all, allowedFeatures: enabled.filter((f) => f !== missing) };
      refused(
        await verifyChangeRequest(request({ mode }), context(root, { policy: narrow })),
        'policy-feature',
        new RegExp(`${missing}.*mode ${mode}`),
      );
      // Turning it off in the same change makes it allowed again.
      const off = await verifyChangeRequest(
        request({ mode, features: { [missing]: false } }),
        context(root, { policy: narrow }),
      );
      assert.equal(off.ok, true, `${mode} with ${missing}=no`);
    }
  }
});

void test('install-any-version follows the feature rules whichever way it is reached', async () => {
  const root = await trustRootV1();
  const allowRose = {
    ...policy,
    allowedModes: [...DEVICE_MODES],
    allowedFeatures: DEVICE_MODE_FEATURES.filter((f) => modeDefaults('rose')[f]),
  };
  refused(
    await verifyChangeRequest(
      request({ mode: 'rose', features: { 'install-any-version': true } }),
      context(root, { policy: allowRose }),
    ),
    'policy-feature',
    /install-any-version/,
  );
  refused(
    await verifyChangeRequest(request({ features: { 'install-any-version': true } }), context(root)),
    'policy-feature',
    /install-any-version/,
  );
});

void test('an approval of an observed mode change is checked the same way', async () => {
  const root = await trustRootV1();
  const nonceStore = new NonceStore();
  const nonce = await nonceStore.issue('chal-00000001', NOW);
  const challenge = {
    v: 1 as const,
    kind: 'challenge' as const,
    challengeId: 'chal-00000001',
    nonce,
    agent: AGENT,
    router: { serial: SERIAL },
    observed: { attemptCount: 1, at: new Date(NOW).toISOString() },
    issuedAt: new Date(NOW).toISOString(),
  };
  const approval = buildApproval(challenge, { now: NOW, expect: { mode: 'rose' }, method: 'button' });
  const allowRoseNoSocks = {
    ...policy,
    allowedModes: ['rose' as const],
    allowedFeatures: DEVICE_MODE_FEATURES.filter((f) => modeDefaults('rose')[f] && f !== 'socks'),
  };
  const verdict = await verifyApproval(
    forgeSimple(JSON.stringify(approval), TYP.approval, [keys.alice, keys.bob]),
    challenge,
    context(root, { nonceStore, policy: allowRoseNoSocks }),
  );
  refused(verdict, 'policy-feature', /socks/);
});

void test("the trust root's feature rules count the features a mode enables", async () => {
  const p = rootPayload();
  const lenient = TrustRoot.fromEnvelopeText(
    await signedRoot({ ...p, thresholds: { ...p.thresholds, approver: 1 } }, [keys.alice, keys.bob]),
  );
  const open = { ...policy, allowedModes: [...DEVICE_MODES], allowedFeatures: [...DEVICE_MODE_FEATURES] };
  const one = (change: object) =>
    forgeSimple(JSON.stringify(requestPayload({}, change)), TYP.request, [keys.noc, keys.alice]);
  refused(
    await verifyChangeRequest(one({ mode: 'advanced' }), context(lenient, { policy: open })),
    'too-few-approvers',
    /socks needs 2/,
  );
  assert.equal(
    (
      await verifyChangeRequest(
        one({ mode: 'advanced', features: { socks: false } }),
        context(lenient, { policy: open }),
      )
    ).ok,
    true,
  );
});

void test('flagging-enabled: no message may change it; a read-back showing it changed is a mismatch', async () => {
  const root = await trustRootV1();
  for (const member of ['flaggingEnabled', 'flagging-enabled']) {
    const text = JSON.stringify(requestPayload()).replace('"change":{', `"change":{"${member}":false,`);
    refused(await verifyChangeRequest(forgeSimple(text, TYP.request, signers), context(root)), 'bad-payload', /change/);
  }
  const before: DeviceModeState = {
    mode: 'home',
    features: modeDefaults('home'),
    flagged: false,
    flaggingEnabled: true,
    allowedVersions: '7.13+',
    attemptCount: 0,
  };
  const expected = expectedAfter(before, { features: { container: true } });
  const smuggled = { ...before, features: { ...before.features, container: true }, flaggingEnabled: false };
  assert.deepEqual(compareDeviceMode(expected, smuggled), [
    { field: 'flagging-enabled', expected: true, actual: false },
  ]);
  // A journal record written before the field was kept cannot tell: fail closed.
  assert.deepEqual(
    compareDeviceMode({ ...expected, flaggingEnabled: undefined }, { ...smuggled, flaggingEnabled: true }),
    [{ field: 'flagging-enabled', expected: 'not recorded', actual: true }],
  );
});
