import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/audit-log.js';
import { makeCheckpoint, signCheckpoint } from '../../src/audit/checkpoint.js';
import { generateKeyFiles, loadSigningKey } from '../../src/trust/keys.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'audit', 'verify', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

void test('dmconfirm audit verify: exit 0 intact, 1 cut below the checkpoint, 2 without the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-audit-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await generateKeyFiles(join(dir, 'agent'));
  const key = await loadSigningKey(join(dir, 'agent.key'));
  const file = join(dir, 'audit.jsonl');
  const log = new AuditLog(file);
  await log.open();
  for (let i = 0; i < 4; i++) await log.append('step', { i });
  writeFileSync(
    join(dir, 'checkpoint.json'),
    JSON.stringify({ v: 1, jws: await signCheckpoint(makeCheckpoint('pi-1', log.head, new Date()), key) }),
  );
  await log.close();

  const ok = cli(file, '--checkpoint', join(dir, 'checkpoint.json'), '--pub', join(dir, 'agent.pub'));
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /4 entries/);
  assert.match(ok.out, /OK: the chain is intact/);

  writeFileSync(file, readFileSync(file, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
  const cut = cli(file, '--checkpoint', join(dir, 'checkpoint.json'), '--pub', join(dir, 'agent.pub'));
  assert.equal(cut.code, 1, cut.out);
  assert.match(cut.out, /truncated/);

  const noKey = cli(file, '--checkpoint', join(dir, 'checkpoint.json'));
  assert.equal(noKey.code, 2, noKey.out);
  assert.match(noKey.out, /needs --pub/);
});
