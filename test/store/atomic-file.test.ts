import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../../src/store/atomic-file.js';

void test('atomic JSON write replaces the file, leaves no temporaries and sets the mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-atomic-'));
  const path = join(dir, 'sub', 'state.json');
  assert.equal(await readJsonFile(path), undefined);
  await writeJsonAtomic(path, { n: 1 });
  await writeJsonAtomic(path, { n: 2 });
  assert.deepEqual(await readJsonFile(path), { n: 2 });
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['state.json']);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

void test('a failed rename leaves no temporary file behind and reports the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-atomic-'));
  const target = join(dir, 'occupied');
  mkdirSync(join(target, 'child'), { recursive: true }); // rename over a non-empty directory fails
  await assert.rejects(writeJsonAtomic(target, { n: 2 }), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(readdirSync(dir), ['occupied']);
});

void test('a directory removed between writes is made again by the next write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-atomic-'));
  const path = join(dir, 'operations', 'r1.json');
  await writeJsonAtomic(path, { n: 1 });
  rmSync(join(dir, 'operations'), { recursive: true });
  await writeJsonAtomic(path, { n: 2 });
  assert.deepEqual(await readJsonFile(path), { n: 2 });
});
