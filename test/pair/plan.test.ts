import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeUnit, pairExitCode, pairingAuditEntry, planPairing, type PairInput } from '../../src/pairing/plan.js';
import { modeDefaults } from '../../src/routeros/device-mode.js';
import type { RouterIdentity } from '../../src/routeros/parse.js';

const now = new Date('2026-11-22T03:00:00Z');
const earlier = '2026-01-01T00:00:00.000Z';
const seen: RouterIdentity = {
  name: 'core',
  model: 'hAP ax3',
  serial: 'HEX2',
  version: '7.22',
  boardName: 'hAP ax^3',
  architecture: 'arm64',
};
const input = (over: Partial<PairInput> = {}): PairInput => ({
  router: 'core1',
  seen,
  configured: {},
  recorded: undefined,
  now,
  accept: false,
  configFile: '/etc/dmconfirm/agent.yaml',
  index: 0,
  ...over,
});

void test('first contact records the unit', () => {
  const plan = planPairing(input());
  assert.equal(plan.action, 'record');
  assert.equal(plan.message, 'core1: paired with serial HEX2');
  assert.deepEqual('record' in plan ? plan.record : null, {
    serial: 'HEX2',
    systemId: undefined,
    model: 'hAP ax3',
    pairedAt: now.toISOString(),
  });
});

void test('the same unit again changes nothing', () => {
  const plan = planPairing(input({ recorded: { serial: 'HEX2', pairedAt: earlier } }));
  assert.equal(plan.action, 'unchanged');
  assert.match(plan.message, /already paired with serial HEX2 since 2026-01-01/);
});

void test('a different unit than recorded is refused without --accept', () => {
  const plan = planPairing(input({ recorded: { serial: 'HEX1', pairedAt: earlier } }));
  assert.equal(plan.action, 'refuse');
  assert.match(plan.message, /router reports serial HEX2, but the paired unit is serial HEX1.*run again with --accept/);
});

void test('--accept re-pairs a different unit than recorded', () => {
  const previous = { serial: 'HEX1', pairedAt: earlier };
  const plan = planPairing(input({ recorded: previous, accept: true }));
  assert.equal(plan.action, 're-pair');
  assert.equal(plan.message, 'core1: re-paired: was serial HEX1, now serial HEX2 (--accept)');
  assert.deepEqual(plan.action === 're-pair' ? plan.previous : null, previous);
});

void test('a different unit than configured is refused even with --accept', () => {
  const plan = planPairing(input({ configured: { serial: 'HEX9' }, accept: true, index: 2 }));
  assert.equal(plan.action, 'refuse');
  assert.match(
    plan.message,
    /configured unit is serial HEX9.*change routers\[2\]\.identity in \/etc\/dmconfirm\/agent\.yaml; --accept does not override/,
  );
});

void test('a unit with neither serial nor system-id is refused', () => {
  const plan = planPairing(
    input({ seen: { name: 'core', version: '7.22', boardName: 'x', architecture: 'arm64' }, accept: true }),
  );
  assert.equal(plan.action, 'refuse');
  assert.match(plan.message, /neither serial-number nor system-id/);
});

void test('a CHR pairs by system-id', () => {
  const plan = planPairing(
    input({ seen: { name: 'chr', systemId: 'abc', version: '7.22', boardName: 'CHR', architecture: 'x86_64' } }),
  );
  assert.equal(plan.message, 'core1: paired with system-id abc');
});

void test('describeUnit shows identity, model, serial, version, device-mode, attempt-count, flagged', () => {
  const mode = {
    mode: 'home' as const,
    features: modeDefaults('home'),
    flagged: true,
    flaggingEnabled: true,
    allowedVersions: '',
    attemptCount: 1,
  };
  assert.deepEqual(describeUnit('core1', '10.0.0.1:8728', seen, mode), [
    'core1 (10.0.0.1:8728):',
    '  identity      core',
    '  model         hAP ax3',
    '  serial        HEX2',
    '  RouterOS      7.22',
    '  device-mode   home',
    '  attempt-count 1',
    '  flagged       YES: RouterOS saw signs of tampering at boot',
  ]);
  assert.equal(
    describeUnit(
      'c',
      'h',
      { name: 'chr', systemId: 'abc', version: '7.22', boardName: 'CHR', architecture: 'x86_64' },
      undefined,
    ).at(-1),
    '  device-mode   (could not be read)',
  );
});

void test('audit entries only for changes; exit code 1 on any refusal or unreachable router', () => {
  assert.equal(
    pairingAuditEntry('core1', planPairing(input({ recorded: { serial: 'HEX2', pairedAt: earlier } }))),
    undefined,
  );
  assert.equal(pairingAuditEntry('core1', planPairing(input()))?.type, 'paired');
  assert.equal(
    pairingAuditEntry('core1', planPairing(input({ recorded: { serial: 'HEX1', pairedAt: earlier }, accept: true })))
      ?.type,
    're-paired',
  );
  assert.equal(pairExitCode(['record', 'unchanged', 're-pair']), 0);
  assert.equal(pairExitCode(['record', 'refuse']), 1);
  assert.equal(pairExitCode(['unreachable']), 1);
});
