import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, GENESIS, lineHash, type AuditEntry } from '../../src/audit/audit-log.js';
import { AuditCheckpointer, type SignedCheckpoint } from '../../src/audit/checkpointer.js';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { generateSigningKey } from '../../src/trust/keys.js';

function tempLog(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state', 'audit.jsonl');
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

void test('entries chain by the hash of the exact previous line, and a reopened log continues the chain', async (t) => {
  const path = tempLog(t);
  const log = new AuditLog(path, () => new Date('2026-01-01T00:00:00Z'));
  await log.open();
  const first = await log.append('agent-started', { version: '0.1.0' });
  await log.append('request-accepted', { requestId: 'r1' });
  await log.close();
  assert.equal(first.prev, GENESIS);
  const reopened = new AuditLog(path);
  await reopened.open();
  assert.equal(reopened.head.count, 2);
  const third: AuditEntry = await reopened.append('done', { requestId: 'r1' });
  await reopened.close();
  const text = lines(path);
  assert.equal(text.length, 3);
  assert.equal(third.seq, 2);
  assert.equal(third.prev, lineHash(text[1]!));
  assert.equal((JSON.parse(text[1]!) as AuditEntry).prev, lineHash(text[0]!));
  const report = await verifyAuditFile(path);
  assert.deepEqual(report.problems, []);
  assert.equal(report.head, lineHash(text[2]!));
});

void test('concurrent appends are written one at a time, in call order', async (t) => {
  const path = tempLog(t);
  const log = new AuditLog(path);
  await log.open();
  await Promise.all(Array.from({ length: 20 }, (_, i) => log.append('n', { i })));
  await log.close();
  assert.deepEqual(
    lines(path).map((l) => (JSON.parse(l) as { data: { i: number } }).data.i),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.equal((await verifyAuditFile(path)).ok, true);
});

void test('a torn last line from a crash is cut on reopen, and the cut is recorded', async (t) => {
  const path = tempLog(t);
  const log = new AuditLog(path);
  await log.open();
  await log.append('a');
  await log.close();
  appendFileSync(path, '{"seq":1,"at":"2026-');
  assert.deepEqual(
    (await verifyAuditFile(path)).problems.map((p) => p.kind),
    ['torn-tail'],
  );
  const again = new AuditLog(path);
  assert.equal((await again.open())?.kind, 'torn-tail');
  await again.close();
  const text = lines(path);
  assert.equal(text.length, 2);
  assert.equal((JSON.parse(text[1]!) as AuditEntry).type, 'audit-torn-tail-dropped');
  assert.equal((await verifyAuditFile(path)).ok, true);
});

void test('a log whose last entry does not fit is moved aside as evidence and a new chain names it', async (t) => {
  const path = tempLog(t);
  const log = new AuditLog(path, () => new Date('2026-01-01T00:00:00Z'));
  await log.open();
  await log.append('a');
  await log.append('b');
  await log.close();
  const damaged = readFileSync(path, 'utf8').replace('"seq":1', '"seq":7');
  writeFileSync(path, damaged);
  const again = new AuditLog(path, () => new Date('2026-01-02T00:00:00Z'));
  const recovery = await again.open();
  await again.append('c');
  await again.close();
  assert.equal(recovery?.kind, 'damaged');
  assert.ok(recovery?.kind === 'damaged' && /seq 7/.test(recovery.reason));
  const aside = recovery.kind === 'damaged' ? recovery.file : '';
  assert.equal(readFileSync(aside, 'utf8'), damaged, 'the evidence is kept byte for byte');
  const fresh = lines(path).map((l) => JSON.parse(l) as AuditEntry);
  assert.deepEqual(
    fresh.map((e) => [e.seq, e.type]),
    [
      [0, 'audit-log-damaged'],
      [1, 'c'],
    ],
  );
  assert.equal((fresh[0]!.data as { sha256: string }).sha256, lineHash(damaged));
  assert.equal((await verifyAuditFile(path)).ok, true);
});

void test('the checkpointer signs only a head that moved, and once more on stop', async (t) => {
  const path = tempLog(t);
  const key = generateSigningKey('agent-pi-1');
  const log = new AuditLog(path);
  await log.open();
  await log.append('a');
  const published: SignedCheckpoint[] = [];
  const checkpointer = new AuditCheckpointer(log, {
    agent: 'pi-1',
    key,
    intervalMs: 3_600_000,
    publish: (s) => Promise.resolve(void published.push(s)),
  });
  await checkpointer.start();
  assert.equal(await checkpointer.checkpoint(), undefined);
  await log.append('b');
  await checkpointer.stop();
  await log.close();
  assert.deepEqual(
    published.map((p) => p.checkpoint.count),
    [1, 2],
  );
  const last = await verifyCheckpoint(published[1]!.jws, key);
  assert.equal(last.head, lineHash(lines(path)[1]!));
  assert.equal(last.agent, 'pi-1');
  const report = await verifyAuditFile(path, {
    publicKey: key,
    checkpoint: JSON.stringify({ v: 1, jws: published[1]!.jws }),
  });
  assert.equal(report.ok, true);
});
