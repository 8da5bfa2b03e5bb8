import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, runningAgent } from '../../src/agent/run-lock.js';

void test('the run lock: taken, released, and a file left by a killed agent (pid gone) taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const release = await acquireRunLock(dir);
  assert.equal(readFileSync(join(dir, 'agent.pid'), 'utf8').trim(), String(process.pid));
  assert.equal(await runningAgent(dir), undefined, 'our own pid is not "another agent"');
  await release();
  assert.equal(existsSync(join(dir, 'agent.pid')), false);
  writeFileSync(join(dir, 'agent.pid'), '2147483646\n'); // no such process
  assert.equal(await runningAgent(dir), undefined);
  const again = await acquireRunLock(dir);
  assert.equal(readFileSync(join(dir, 'agent.pid'), 'utf8').trim(), String(process.pid));
  await again();
});
