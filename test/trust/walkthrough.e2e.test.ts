// The trust walkthrough in docs/trust-model.md runs as written: its sh block is taken from
// the doc and run by bash with `dmconfirm` being this checkout's CLI, under its own 2-of-3
// root. Its refusals, approvals and the revocation warning must appear, in that order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from './fixtures.js';

const DOC = fileURLToPath(new URL('../../docs/trust-model.md', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function walkthroughBlock(): string {
  const doc = readFileSync(DOC, 'utf8');
  const section = doc.slice(doc.indexOf('## Walkthrough'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'docs/trust-model.md has a Walkthrough section with an sh block');
  return block[1]!;
}

void test('docs/trust-model.md walkthrough runs as written', async (t) => {
  const dir = tempDir(t);
  const dmconfirm = `dmconfirm() { "${process.execPath}" --import "${TSX}" "${MAIN}" "$@"; }`;
  const script = `set -eu\nexec 2>&1\n${dmconfirm}\n${walkthroughBlock()}`;
  const out = await new Promise<string>((resolve, reject) => {
    execFile('bash', ['-c', script], { cwd: dir, encoding: 'utf8', maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`walkthrough failed (${error.code}):\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
  const expected = [
    /approver: 2 of 3 people/,
    /requesters \(their signatures never count as approvals\): ops-bot/,
    /REFUSED too-few-approvers: 1 of 2 approvals .*counted: alice; not counted: ops-bot \(the requester\)/,
    /refused: ops-bot and alice are one approver/,
    /trust root: v1[\s\S]*?OK: change request .* requested by ops-bot\n {2}approved by alice, bob \(2 of 2 people needed/,
    /an identity named "alice" exists; if this key belongs to the same person add --same-person/,
    /OK: trust2\.json v2 may replace v1/,
    /newer trust root: v2 \(trust2\.json\), a valid rotation of v1/,
    /approved by carol, bob[\s\S]*WARNING: key \S+ of carol is revoked in trust root v2/,
  ];
  let rest = out;
  for (const pattern of expected) {
    const m = pattern.exec(rest);
    assert.ok(m, `expected ${pattern} in order in:\n${out}`);
    rest = rest.slice(m.index + m[0].length);
  }
});
