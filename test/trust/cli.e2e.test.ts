// The "done when": two operators, with the CLI alone, create keys and a trust root,
// write a request that needs 2-of-3, co-sign it, and `dmconfirm verify` accepts it; the bad
// cases are refused with their reason. Runs the real CLI as child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Run {
  code: number;
  out: string;
}

function cli(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

async function ok(cwd: string, args: string[], match?: RegExp): Promise<string> {
  const r = await cli(cwd, args);
  assert.equal(r.code, 0, `dmconfirm ${args.join(' ')}\n${r.out}`);
  if (match) assert.match(r.out, match);
  return r.out;
}

async function fails(cwd: string, args: string[], code: number, match: RegExp): Promise<void> {
  const r = await cli(cwd, args);
  assert.equal(r.code, code, `dmconfirm ${args.join(' ')} should exit ${code}\n${r.out}`);
  assert.match(r.out, match);
}

const TARGET = ['--agent', 'site1', '--router-serial', 'HF123'];

void test('CLI end to end: keys, trust root, 2-of-3 request, co-signing, offline verify, refusals', async (t) => {
  const d = tempDir(t);
  for (const name of ['alice', 'bob', 'carol', 'dave']) await ok(d, ['keys', 'generate', '--out', name], /id [A-Za-z0-9_-]{43}/);
  await fails(d, ['keys', 'generate', '--out', 'alice'], 2, /already exists/);

  // Trust root: alice and bob hold the root role (2 of 2); alice, bob, carol approve (2 of 3).
  await ok(d, ['trust', 'init', '--out', 'trust.json', '--root', 'alice.pub', '--root', 'bob.pub', '--root-threshold', '2',
    '--approver', 'alice.pub,bob.pub,carol.pub', '--approver-threshold', '2', '--key', 'alice.key']);
  await fails(d, ['trust', 'verify', 'trust.json'], 1, /root-threshold: trust root v1 has 1 of 2/);
  await ok(d, ['trust', 'sign', 'trust.json', '--key', 'bob.key']);
  await ok(d, ['trust', 'verify', 'trust.json'], /^OK/);
  await ok(d, ['trust', 'show', 'trust.json'], /approver: 2 of 3/);

  // A draft by the NOC, co-signed by two operators.
  await ok(d, ['request', ...TARGET, '--enable', 'container', '--method', 'power', '--timeout', '5m', '--requester', 'noc', '--out', 'req.json'], /unsigned draft/);
  await ok(d, ['cosign', 'req.json', '--key', 'alice.key'], /container=yes/);
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET], 1, /REFUSED too-few-approvers: 1 of 2/);
  await fails(d, ['cosign', 'req.json', '--key', 'alice.key'], 2, /duplicate-signer/);
  await ok(d, ['cosign', 'req.json', '--key', 'bob.key']);
  await ok(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET], /approved by alice, bob \(2 of 2 needed/);

  // Misdirected, tampered, stale, or verified without wall time.
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', '--agent', 'site2', '--router-serial', 'HF123'], 1, /wrong-agent/);
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', '--agent', 'site1', '--router-serial', 'HF999'], 1, /wrong-router/);
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET, '--clock', 'assume-unsynced'], 1, /clock-unsynced/);
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET, '--now', new Date(Date.now() + 2 * 86_400_000).toISOString()], 1, /REFUSED expired/);
  const envelope = JSON.parse(readFileSync(join(d, 'req.json'), 'utf8')) as { payload: string };
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { change: unknown };
  payload.change = { features: { socks: true } };
  envelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
  writeFileSync(join(d, 'tampered.json'), JSON.stringify(envelope));
  await fails(d, ['verify', 'tampered.json', '--trust', 'trust.json', ...TARGET], 1, /bad-signature/);
  writeFileSync(join(d, 'garbage.json'), '{"payload": 1');
  await fails(d, ['verify', 'garbage.json', '--trust', 'trust.json'], 1, /REFUSED malformed/);

  // A window that has closed, and a requester approving its own request.
  await ok(d, ['request', ...TARGET, '--enable', 'container', '--method', 'power', '--not-after', '+1m', '--requester', 'noc', '--out', 'win.json']);
  await ok(d, ['cosign', 'win.json', '--key', 'bob.key']);
  await ok(d, ['cosign', 'win.json', '--key', 'carol.key']);
  await ok(d, ['verify', 'win.json', '--trust', 'trust.json', ...TARGET]);
  await fails(d, ['verify', 'win.json', '--trust', 'trust.json', ...TARGET, '--now', new Date(Date.now() + 3600_000).toISOString()], 1, /expired: window closed/);
  await ok(d, ['request', ...TARGET, '--enable', 'container', '--method', 'power', '--key', 'alice.key', '--out', 'self.json'], /signed by requester "alice"/);
  await ok(d, ['cosign', 'self.json', '--key', 'bob.key']);
  await fails(d, ['verify', 'self.json', '--trust', 'trust.json', ...TARGET], 1, /requester-cannot-approve/);
  await ok(d, ['cosign', 'self.json', '--key', 'carol.key']);
  await ok(d, ['verify', 'self.json', '--trust', 'trust.json', ...TARGET], /approved by bob, carol/);

  // An unknown key, and a private key others can read.
  await ok(d, ['cosign', 'req.json', '--key', 'dave.key', '--out', 'unknown.json']);
  await fails(d, ['verify', 'unknown.json', '--trust', 'trust.json', ...TARGET], 1, /unknown-key/);
  chmodSync(join(d, 'carol.key'), 0o644);
  await fails(d, ['cosign', 'req.json', '--key', 'carol.key'], 2, /chmod 600/);
  chmodSync(join(d, 'carol.key'), 0o600);

  // Rotation to v2 (dave joins the root role): only new keys is not enough; old AND new is.
  await ok(d, ['trust', 'add-key', 'trust.json', '--pub', 'dave.pub', '--role', 'root', '--out', 'trust2.json'], /v2, unsigned draft/);
  await ok(d, ['trust', 'sign', 'trust2.json', '--key', 'dave.key']);
  await fails(d, ['trust', 'verify', 'trust2.json', '--previous', 'trust.json'], 1, /root-rotation-threshold/);
  await ok(d, ['trust', 'sign', 'trust2.json', '--key', 'alice.key']);
  await ok(d, ['trust', 'sign', 'trust2.json', '--key', 'bob.key']);
  await ok(d, ['trust', 'verify', 'trust2.json', '--previous', 'trust.json'], /may replace v1/);
  await fails(d, ['trust', 'verify', 'trust.json', '--previous', 'trust2.json'], 1, /root-rollback/);
});

void test('CLI: approving an observed change against its challenge, and a power cycle', async (t) => {
  const d = tempDir(t);
  for (const name of ['alice', 'bob', 'carol']) await ok(d, ['keys', 'generate', '--out', name]);
  await ok(d, ['trust', 'init', '--out', 'trust.json', '--root', 'alice.pub', '--approver', 'alice.pub,bob.pub,carol.pub', '--approver-threshold', '2', '--key', 'alice']);
  const challenge = {
    v: 1, kind: 'challenge', challengeId: 'chal-0001', nonce: 'n'.repeat(43), agent: 'site1', router: { serial: 'HF123' },
    observed: { attemptCount: 1, at: new Date().toISOString() }, issuedAt: new Date().toISOString(),
  };
  writeFileSync(join(d, 'challenge.json'), JSON.stringify(challenge));
  await ok(d, ['approve', '--challenge', 'challenge.json', '--enable', 'container', '--method', 'button', '--key', 'bob', '--out', 'approval.json'], /attempt-count 1/);
  await fails(d, ['verify', 'approval.json', '--trust', 'trust.json', '--challenge', 'challenge.json'], 1, /too-few-approvers/);
  await ok(d, ['cosign', 'approval.json', '--key', 'carol']);
  await ok(d, ['verify', 'approval.json', '--trust', 'trust.json', '--challenge', 'challenge.json', ...TARGET, '--clock', 'assume-unsynced'], /approved by bob, carol/);
  const newer = JSON.stringify({ ...challenge, nonce: 'm'.repeat(43) });
  await fails(d, ['verify', 'approval.json', '--trust', 'trust.json', '--challenge', newer], 1, /nonce-stale/);

  await ok(d, ['request', ...TARGET, '--power-cycle', 'hung', '--requester', 'noc', '--out', 'pc.json']);
  await ok(d, ['cosign', 'pc.json', '--key', 'alice']);
  await ok(d, ['cosign', 'pc.json', '--key', 'carol']);
  await ok(d, ['verify', 'pc.json', '--trust', 'trust.json', ...TARGET], /power cycle .* \(hung\)/);
});
