import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeDeviceMode,
  describeSimChange,
  describeSimEvent,
  describeStep,
  narrate,
  shortKey,
  summaryLines,
} from '../../src/demo/narration.js';

void test('a narrated line shows the time since the start and who speaks, aligned', () => {
  assert.equal(narrate(3_240, 'router', 'power cut'), '[  3.2s] router    power cut');
  assert.equal(narrate(-5, 'agent', 'x'), '[  0.0s] agent     x');
});

void test('an agent answer shows its state, the time since sending, and its detail or what the state means', () => {
  const step = { receivedAt: 1_500, status: 'ok' as const, state: 'actuating' as const, final: false };
  assert.equal(describeStep(step, 1_000), 'actuating    +0.5s  cutting the power (the physical confirmation)');
  assert.equal(
    describeStep({ ...step, detail: 'cutting the power via sim' }, 1_000),
    'actuating    +0.5s  cutting the power via sim',
  );
  const refused = {
    ...step,
    status: 'error' as const,
    state: 'failed' as const,
    final: true,
    error: { code: 'unknown-key', message: 'key K is not in trust root v1' },
  };
  assert.equal(
    describeStep(refused, 1_000),
    'failed       +0.5s  refused (unknown-key): key K is not in trust root v1',
  );
});

void test('router events read as what its owner would see', () => {
  assert.equal(describeSimEvent({ kind: 'power', on: false }), 'power cut');
  assert.match(
    describeSimEvent({ kind: 'power', on: true, offMs: 2_500, cold: true }),
    /^power back after 2\.5s \(a cold boot/,
  );
  assert.match(describeSimEvent({ kind: 'power', on: true, offMs: 300, cold: false }), /too short to count/);
  assert.match(
    describeSimEvent({ kind: 'update-requested', change: 'container=yes', attemptCount: 1, timeoutMs: 120_000 }),
    /pending \(container=yes\), attempt-count 1; .* within 2m00s/,
  );
});

void test('the summary passes only when every check passed and nothing failed outside them', () => {
  const ok = { name: 'a', ok: true, detail: 'fine' };
  assert.equal(summaryLines([ok], 9_300, undefined).at(-1), 'demo passed: everything verified in 9.3s');
  assert.equal(summaryLines([ok, { ...ok, ok: false }], 9_300, undefined).at(-1), 'demo FAILED after 9.3s');
  assert.deepEqual(summaryLines([ok], 1_000, 'gave up waiting'), [
    'ok    a: fine',
    'FAIL  gave up waiting',
    'demo FAILED after 1.0s',
  ]);
  assert.equal(summaryLines([], 1_000, undefined).at(-1), 'demo FAILED after 1.0s');
});

void test('a simulated change, the device-mode and a key id read as short words', () => {
  assert.equal(
    describeSimChange({ mode: 'home', features: { container: true, socks: false } }),
    'mode=home container=yes socks=no',
  );
  assert.equal(describeSimChange({ features: { container: undefined } }), 'no change');
  const state = { deviceMode: { mode: 'advanced', features: { container: false } }, attemptCount: 1 };
  assert.equal(
    describeDeviceMode(state as unknown as Parameters<typeof describeDeviceMode>[0]),
    'device-mode advanced, container=no, attempt-count 1',
  );
  assert.equal(shortKey('abcdefghijklmnop'), 'abcdefghij…');
  assert.equal(shortKey(undefined), '?');
});
