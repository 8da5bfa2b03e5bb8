// CLI approvals of an observed change against the agent's challenge, power cycles, and
// the requester's own signature never counting.
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyFiles } from '../../src/trust/keys.js';
import { TARGET, fails, ok } from './cli-harness.js';
import { tempDir } from './fixtures.js';

void test('CLI: approve a challenge (no wall time), challenge-bound power cycles, no self-approval', async (t) => {
  const d = tempDir(t);
  for (const name of ['alice', 'bob', 'carol', 'noc']) await generateKeyFiles(join(d, name));
  await ok(d, [
    'trust',
    'init',
    '--out',
    'trust.json',
    '--root',
    'alice.pub',
    '--approver',
    'alice.pub,bob.pub,carol.pub',
    '--approver-threshold',
    '2',
    '--requester',
    'noc.pub,alice.pub',
    '--key',
    'alice',
  ]);
  const challenge = {
    v: 1,
    kind: 'challenge',
    challengeId: 'chal-0001',
    nonce: 'n'.repeat(43),
    agent: 'site1',
    router: { serial: 'HF123' },
    observed: { attemptCount: 1, at: new Date().toISOString() },
    issuedAt: new Date().toISOString(),
  };
  writeFileSync(join(d, 'challenge.json'), JSON.stringify(challenge));
  await ok(
    d,
    [
      'approve',
      '--challenge',
      'challenge.json',
      '--expect',
      'container=yes',
      '--method',
      'button',
      '--key',
      'bob',
      '--out',
      'approval.json',
    ],
    /attempt-count 1/,
  );
  await ok(d, ['cosign', 'approval.json', '--key', 'carol']);
  const newer = JSON.stringify({ ...challenge, nonce: 'm'.repeat(43) });
  await Promise.all([
    ok(
      d,
      [
        'verify',
        'approval.json',
        '--trust',
        'trust.json',
        '--challenge',
        'challenge.json',
        ...TARGET,
        '--clock',
        'assume-unsynced',
      ],
      /approved by bob, carol/,
    ),
    fails(d, ['verify', 'approval.json', '--trust', 'trust.json', '--challenge', newer], 1, /nonce-stale/),
  ]);

  await ok(d, [
    'request',
    ...TARGET,
    '--power-cycle',
    'hung',
    '--challenge',
    'challenge.json',
    '--requester',
    'noc',
    '--out',
    'pc.json',
  ]);
  await ok(d, ['cosign', 'pc.json', '--key', 'noc']);
  await ok(d, ['cosign', 'pc.json', '--key', 'alice']);
  await ok(d, ['cosign', 'pc.json', '--key', 'carol']);
  await Promise.all([
    ok(
      d,
      [
        'verify',
        'pc.json',
        '--trust',
        'trust.json',
        ...TARGET,
        '--clock',
        'assume-unsynced',
        '--challenge',
        'challenge.json',
      ],
      /power cycle .* \(hung\)/,
    ),
    fails(d, ['verify', 'pc.json', '--trust', 'trust.json', ...TARGET, '--clock', 'assume-unsynced'], 1, /nonce-stale/),
  ]);

  // The requester's own signature never counts.
  await ok(
    d,
    ['request', ...TARGET, '--enable', 'container', '--method', 'power', '--key', 'alice', '--out', 'self.json'],
    /signed by requester "alice" \(does not count as an approval\)/,
  );
  await ok(d, ['cosign', 'self.json', '--key', 'bob']);
  await fails(d, ['verify', 'self.json', '--trust', 'trust.json', ...TARGET], 1, /requester-cannot-approve/);
});
