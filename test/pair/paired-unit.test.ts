import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgePairing, PairingStore } from '../../src/pairing/paired-unit.js';

const now = new Date('2026-11-22T00:00:00Z');

void test('first contact records the unit; the same unit later is accepted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-pair-'));
  const first = judgePairing({ serial: 'HEX1', model: 'hAP ax3' }, {}, undefined, now);
  assert.ok(first.ok && first.firstContact);
  const store = new PairingStore(dir);
  await store.record('r1', first.record);
  const reopened = new PairingStore(dir);
  await reopened.load();
  const again = judgePairing({ serial: 'HEX1' }, {}, reopened.get('r1'), now);
  assert.ok(again.ok && !again.firstContact);
});

void test('a swapped unit is refused against the paired record and against the configuration', () => {
  const recorded = { serial: 'HEX1', pairedAt: now.toISOString() };
  const swapped = judgePairing({ serial: 'HEX2' }, {}, recorded, now);
  assert.deepEqual(swapped.ok ? null : swapped.reason, 'identity-changed');
  assert.match(swapped.ok ? '' : swapped.detail, /HEX2.*paired unit is serial HEX1/);
  const wrong = judgePairing({ serial: 'HEX1' }, { serial: 'HEX9' }, undefined, now);
  assert.equal(wrong.ok, false);
  const chr = judgePairing({ systemId: 'abc' }, { systemId: 'abc' }, undefined, now);
  assert.ok(chr.ok);
  assert.equal(judgePairing({}, {}, undefined, now).ok, false);
});
