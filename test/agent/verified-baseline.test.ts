import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifiedBaseline } from '../../src/agent/verified-baseline.js';
import { modeDefaults, type DeviceModeState } from '../../src/routeros/device-mode.js';

const home: DeviceModeState = {
  mode: 'home',
  features: modeDefaults('home'),
  flagged: false,
  flaggingEnabled: true,
  allowedVersions: '7.13+,6.49.8+',
  attemptCount: 0,
};

// The baseline is what a power cycle must bring back. A reading that differs in anything a
// change could touch (flagging-enabled, allowed-versions included) is not taken as verified
// unless an operation of ours just ended verified.
void test('a reading with flagging-enabled or allowed-versions changed is not the verified baseline', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-baseline-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const baseline = new VerifiedBaseline(dir);
  await baseline.load();
  const now = new Date('2026-12-01T00:00:00Z');
  await baseline.observe('main', home, now);
  await baseline.observe('main', { ...home, flaggingEnabled: false }, now);
  await baseline.observe('main', { ...home, allowedVersions: '6.0+' }, now);
  const reloaded = new VerifiedBaseline(dir);
  await reloaded.load();
  assert.deepEqual(reloaded.get('main')?.deviceMode, home);
  // After an operation of ours ended verified, the next clean reading is the baseline.
  await reloaded.operationVerified('main', undefined, now);
  await reloaded.observe('main', { ...home, allowedVersions: '7.20+' }, now);
  assert.equal(reloaded.get('main')?.deviceMode.allowedVersions, '7.20+');
});
