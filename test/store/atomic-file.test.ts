import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../../src/store/atomic-file.js';

test('atomic JSON write replaces the file, leaves no temporaries and sets the mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-atomic-'));
  const path = join(dir, 'sub', 'state.json');
  assert.equal(await readJsonFile(path), undefined);
  await writeJsonAtomic(path, { n: 1 });
  await writeJsonAtomic(path, { n: 2 });
  assert.deepEqual(await readJsonFile(path), { n: 2 });
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['state.json']);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('a failed write keeps the old content and cleans up', { skip: process.getuid?.() === 0 ? 'root ignores permissions' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-atomic-'));
  const path = join(dir, 'state.json');
  await writeJsonAtomic(path, { n: 1 });
  chmodSync(dir, 0o500);
  await assert.rejects(writeJsonAtomic(path, { n: 2 }));
  chmodSync(dir, 0o700);
  assert.deepEqual(await readJsonFile(path), { n: 1 });
});
