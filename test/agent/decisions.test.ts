import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  actionDurationMs,
  checkAttemptCount,
  checkTimeLeft,
  compareDeviceMode,
  expectedAfter,
} from '../../src/agent/decisions.js';
import { assertTransition, IllegalTransitionError } from '../../src/agent/operation-state.js';
import { modeDefaults, type DeviceModeState } from '../../src/routeros/device-mode.js';

const home: DeviceModeState = {
  mode: 'home',
  features: modeDefaults('home'),
  flagged: false,
  flaggingEnabled: true,
  allowedVersions: '7.13+,6.49.8+',
  attemptCount: 0,
};

void test('the expected state of a feature change keeps the mode and other features', () => {
  const expected = expectedAfter(home, { features: { container: true } });
  assert.equal(expected.mode, 'home');
  assert.equal(expected.features.container, true);
  assert.equal(expected.features.fetch, false);
  assert.deepEqual(compareDeviceMode(expected, { ...home, features: { ...home.features, container: true } }), []);
});

void test('a mode change drops overrides; any other outcome is listed field by field', () => {
  const before = { ...home, features: { ...home.features, container: true } };
  const expected = expectedAfter(before, { mode: 'advanced' });
  assert.equal(expected.features.container, false);
  assert.equal(expected.features.fetch, true);
  const actual = { ...home, mode: 'advanced' as const, features: { ...modeDefaults('advanced'), socks: false } };
  assert.deepEqual(compareDeviceMode(expected, actual), [{ field: 'socks', expected: true, actual: false }]);
  assert.deepEqual(
    compareDeviceMode(expected, home)
      .map((d) => d.field)
      .slice(0, 1),
    ['mode'],
  );
});

// dmconfirm never changes flagging-enabled or allowed-versions: a read-back where either
// changed is someone else's change confirmed by our action (device-mode-mismatch).
void test('a read-back with flagging-enabled or allowed-versions changed is a difference', () => {
  const expected = expectedAfter(home, { features: { container: true } });
  const approved = { ...home, features: { ...home.features, container: true } };
  assert.deepEqual(compareDeviceMode(expected, { ...approved, allowedVersions: '7.10+' }), [
    { field: 'allowed-versions', expected: '7.13+,6.49.8+', actual: '7.10+' },
  ]);
  assert.deepEqual(compareDeviceMode(expected, { ...approved, flaggingEnabled: false }), [
    { field: 'flagging-enabled', expected: true, actual: false },
  ]);
  // A journal record from before these were kept cannot vouch for them: fail closed.
  const { allowedVersions: _a, flaggingEnabled: _f, ...old } = expected;
  assert.deepEqual(
    compareDeviceMode(old, approved).map((d) => [d.field, d.expected]),
    [
      ['flagging-enabled', 'not recorded'],
      ['allowed-versions', 'not recorded'],
    ],
  );
});

void test('attempt-count must be exactly the predicted value', () => {
  assert.deepEqual(checkAttemptCount(1, 1), { ok: true });
  assert.equal(checkAttemptCount(1, 2).ok, false);
  assert.equal(checkAttemptCount(1, 0).ok, false);
});

void test('an action starts only with enough activation time left', () => {
  assert.deepEqual(checkTimeLeft(1000, 31_000, 8000, 15_000), { ok: true, remainingMs: 30_000 });
  const late = checkTimeLeft(1000, 23_999, 8000, 15_000);
  assert.equal(late.ok, false);
  assert.match(late.ok ? '' : late.detail, /22999 ms of activation time left/);
  assert.equal(checkTimeLeft(50_000, 40_000, 300, 1000).ok, false);
  assert.equal(actionDurationMs('button', { pressMs: 300, offMs: 8000 }), 300);
  assert.equal(actionDurationMs('power', { pressMs: 300, offMs: 8000 }), 8000);
});

void test('only legal transitions are allowed: no actuation without pending, no skipping verification', () => {
  assertTransition('pending', 'actuating');
  assertTransition('challenged', 'actuating');
  assert.throws(() => assertTransition('requesting', 'actuating'), IllegalTransitionError);
  assert.throws(() => assertTransition('pending-observed', 'actuating'), IllegalTransitionError);
  assert.throws(() => assertTransition('rebooting', 'done'), IllegalTransitionError);
  assert.throws(() => assertTransition('done', 'actuating'), IllegalTransitionError);
});
