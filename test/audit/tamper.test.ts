import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, GENESIS, lineHash } from '../../src/audit/audit-log.js';
import { CheckpointError, CHECKPOINT_TYP, makeCheckpoint, signCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyAuditFile, type AuditProblemKind } from '../../src/audit/verify.js';
import { generateSigningKey } from '../../src/trust/keys.js';
import { CompactSign } from 'jose';

const key = generateSigningKey('agent-pi-1');
let dir: string;
let original: string[];
let checkpointAt6: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dmconfirm-tamper-'));
  const log = new AuditLog(join(dir, 'audit.jsonl'));
  await log.open();
  for (let i = 0; i < 6; i++) await log.append('step', { i });
  checkpointAt6 = await signCheckpoint(makeCheckpoint('pi-1', log.head, new Date()), key);
  for (let i = 6; i < 8; i++) await log.append('step', { i });
  await log.close();
  original = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function tampered(edit: (lines: string[]) => string[]): string {
  const path = join(dir, `tampered-${n++}.jsonl`);
  const out = edit([...original]);
  writeFileSync(path, out.length === 0 ? '' : out.join('\n') + '\n');
  return path;
}

/** Re-links lines from `from` on, as a forger who rewrites the rest of the chain would. */
function relink(lines: string[], from: number): string[] {
  for (let i = from; i < lines.length; i++) {
    const entry = JSON.parse(lines[i]!) as Record<string, unknown>;
    entry.seq = i;
    entry.prev = i === 0 ? GENESIS : lineHash(lines[i - 1]!);
    lines[i] = JSON.stringify({ seq: entry.seq, at: entry.at, type: entry.type, data: entry.data, prev: entry.prev });
  }
  return lines;
}

async function kinds(path: string, withCheckpoint = true): Promise<AuditProblemKind[]> {
  const report = await verifyAuditFile(path, withCheckpoint ? { publicKey: key, checkpoint: checkpointAt6 } : {});
  return [...new Set(report.problems.map((p) => p.kind))].sort();
}

void test('the untouched file verifies, with and without the checkpoint', async () => {
  assert.deepEqual(await kinds(tampered((l) => l)), []);
  assert.deepEqual(
    await kinds(
      tampered((l) => l),
      false,
    ),
    [],
  );
});

void test('an edited entry breaks the chain at the next line', async () => {
  const path = tampered((l) => ((l[2] = l[2]!.replace('"i":2', '"i":9')), l));
  const report = await verifyAuditFile(path);
  assert.deepEqual(
    report.problems.map((p) => [p.line, p.kind]),
    [[4, 'broken-chain']],
  );
});

void test('a deleted entry shows as a sequence gap and a broken chain', async () => {
  assert.deepEqual(
    await kinds(
      tampered((l) => (l.splice(3, 1), l)),
      false,
    ),
    ['bad-seq', 'broken-chain'],
  );
});

void test('reordered entries are detected', async () => {
  const path = tampered((l) => {
    [l[2], l[3]] = [l[3]!, l[2]!];
    return l;
  });
  assert.deepEqual(await kinds(path, false), ['bad-seq', 'broken-chain']);
});

void test('a garbled line is malformed', async () => {
  assert.ok(
    (
      await kinds(
        tampered((l) => ((l[1] = '{"seq":1}'), l)),
        false,
      )
    ).includes('malformed'),
  );
});

void test('truncation is invisible to the chain alone but caught by the checkpoint', async () => {
  const path = tampered((l) => l.slice(0, 4));
  assert.deepEqual(await kinds(path, false), []);
  assert.deepEqual(await kinds(path), ['truncated']);
});

void test('a consistently rewritten chain is caught by the checkpoint', async () => {
  const path = tampered((l) => relink(((l[4] = l[4]!.replace('"i":4', '"i":40')), l), 4));
  assert.deepEqual(await kinds(path, false), []);
  assert.deepEqual(await kinds(path), ['checkpoint-mismatch']);
});

void test('entries after the last checkpoint can be cut without trace: the next checkpoint is for that', async () => {
  const path = tampered((l) => l.slice(0, 6));
  assert.deepEqual(await kinds(path), []);
});

void test('a checkpoint signed by another key, forged or of another type is refused', async () => {
  const path = tampered((l) => l);
  const other = generateSigningKey('mallory');
  const head = { count: 8, head: lineHash(original[7]!) };
  const byOther = await signCheckpoint(makeCheckpoint('pi-1', head, new Date()), other);
  await assert.rejects(verifyAuditFile(path, { publicKey: key, checkpoint: byOther }), CheckpointError);
  // The right kid but someone else's signature.
  const forged = await new CompactSign(
    new TextEncoder().encode(JSON.stringify(makeCheckpoint('pi-1', head, new Date()))),
  )
    .setProtectedHeader({ alg: 'EdDSA', typ: CHECKPOINT_TYP, kid: key.keyId })
    .sign(other.privateKey);
  await assert.rejects(verifyAuditFile(path, { publicKey: key, checkpoint: forged }), /does not verify/);
  const wrongTyp = await new CompactSign(
    new TextEncoder().encode(JSON.stringify(makeCheckpoint('pi-1', head, new Date()))),
  )
    .setProtectedHeader({ alg: 'EdDSA', typ: 'dmconfirm-request+jws', kid: key.keyId })
    .sign(key.privateKey);
  await assert.rejects(verifyAuditFile(path, { publicKey: key, checkpoint: wrongTyp }), /typ/);
  await assert.rejects(verifyAuditFile(path, { checkpoint: checkpointAt6 }), /public key/);
});

// One reading of every line: a line that two JSON readers read differently is not an entry,
// even with an intact chain (here: re-linked after the edit, past the last checkpoint).
void test('a line with a member twice, __proto__ or a non-canonical number does not verify', async () => {
  const edits: Array<(line: string) => string> = [
    (line) => line.replace('"type":"step"', '"type":"step","type":"agent-stop"'),
    (line) => line.replace('"i":7', '"i":7,"i":70'),
    (line) => line.replace('"data":{', '"data":{"__proto__":{"i":70},'),
    (line) => line.replace('"seq":7', '"seq":7.0'),
  ];
  for (const edit of edits) {
    const path = tampered((l) => {
      relink(l, 7);
      l[7] = edit(l[7]!);
      return l;
    });
    const report = await verifyAuditFile(path, { publicKey: key, checkpoint: checkpointAt6 });
    assert.deepEqual(
      report.problems.map((p) => [p.line, p.kind]),
      [[8, 'malformed']],
      readFileSync(path, 'utf8').split('\n')[7],
    );
    // The agent reads its own last line the same way: not an entry, so the file is set aside as evidence.
    const log = new AuditLog(path);
    const recovery = await log.open();
    await log.close();
    assert.equal(recovery?.kind, 'damaged');
  }
});

void test('a retained checkpoint message with "jws" twice is refused', async () => {
  const path = tampered((l) => l);
  const twice = `{"v":1,"jws":"x.y.z","jws":"${checkpointAt6}"}`;
  await assert.rejects(verifyAuditFile(path, { publicKey: key, checkpoint: twice }), CheckpointError);
  const once = JSON.stringify({ v: 1, jws: checkpointAt6 });
  assert.deepEqual((await verifyAuditFile(path, { publicKey: key, checkpoint: once })).problems, []);
});

// What a device or a peer says can end up in the log; whatever it is, the line reads back
// strictly, so nobody can make the log look damaged by getting a value logged.
void test('data the strict reader would refuse is written so that it reads back', async (t) => {
  const path = join(dir, 'odd-data.jsonl');
  t.after(() => rmSync(path, { force: true }));
  const log = new AuditLog(path);
  await log.open();
  await log.append('router-said', {
    identity: 'x\uD800y',
    big: 2 ** 60,
    proto: JSON.parse('{"__proto__":{"a":1}}') as unknown,
  });
  await log.append('after', {});
  await log.close();
  assert.deepEqual((await verifyAuditFile(path)).problems, []);
  const reopened = new AuditLog(path);
  assert.equal(await reopened.open(), undefined);
  await reopened.close();
  const line = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!) as { data: Record<string, unknown> };
  assert.deepEqual(line.data, { identity: 'x\uFFFDy', big: String(2 ** 60), proto: { ___proto__: { a: 1 } } });
});
