// CLI trust root rotation, rollback, revocation and key file permissions.
import { test } from 'node:test';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyFiles } from '../../src/trust/keys.js';
import { TARGET, fails, ok } from './cli-harness.js';
import { tempDir } from './fixtures.js';

void test('CLI: rotation needs old AND new root keys, rollback and revoked keys are refused', async (t) => {
  const d = tempDir(t);
  for (const name of ['alice', 'bob', 'carol', 'dave', 'noc']) await generateKeyFiles(join(d, name));
  await ok(d, [
    'trust',
    'init',
    '--out',
    'trust.json',
    '--root',
    'alice.pub,bob.pub',
    '--root-threshold',
    '2',
    '--approver',
    'alice.pub,bob.pub,carol.pub',
    '--approver-threshold',
    '2',
    '--requester',
    'noc.pub',
    '--key',
    'alice',
    '--key',
    'bob',
  ]);

  // v2: dave joins the root role, carol is revoked.
  await ok(
    d,
    ['trust', 'add-key', 'trust.json', '--pub', 'dave.pub', '--role', 'root', '--out', 'trust2.json'],
    /v2, unsigned draft/,
  );
  await ok(d, ['trust', 'remove-key', 'trust2.json', 'carol'], /v2, unsigned draft/);
  await ok(d, ['trust', 'sign', 'trust2.json', '--key', 'dave']);
  await fails(d, ['trust', 'verify', 'trust2.json', '--previous', 'trust.json'], 1, /root-rotation-threshold/);
  await ok(d, ['trust', 'sign', 'trust2.json', '--key', 'alice']);
  await ok(d, ['trust', 'sign', 'trust2.json', '--key', 'bob']);
  await Promise.all([
    ok(d, ['trust', 'verify', 'trust2.json', '--previous', 'trust.json'], /may replace v1/),
    fails(d, ['trust', 'verify', 'trust.json', '--previous', 'trust2.json'], 1, /root-rollback/),
  ]);

  // carol's approval counts under v1, not under v2.
  await ok(d, [
    'request',
    ...TARGET,
    '--enable',
    'container',
    '--method',
    'power',
    '--requester',
    'noc',
    '--out',
    'req.json',
  ]);
  await ok(d, ['cosign', 'req.json', '--key', 'noc']);
  await ok(d, ['cosign', 'req.json', '--key', 'bob']);
  await ok(d, ['cosign', 'req.json', '--key', 'carol']);
  chmodSync(join(d, 'carol.key'), 0o644);
  await Promise.all([
    ok(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET], /approved by bob, carol/),
    fails(
      d,
      ['verify', 'req.json', '--trust', 'trust2.json', ...TARGET],
      1,
      /unknown-key: signature 3: key .* not in trust root v2/,
    ),
    fails(d, ['cosign', 'req.json', '--key', 'carol.key', '--out', 'again.json'], 2, /mode 0644.*chmod 600/),
  ]);

  // --newer: the next version must be a valid rotation; an unsigned or under-signed one is refused.
  await ok(
    d,
    ['trust', 'set-threshold', 'trust2.json', '1', '--power-cycle', '--out', 'trust3.json'],
    /v3, unsigned draft/,
  );
  await ok(d, ['trust', 'sign', 'trust3.json', '--key', 'dave']);
  await Promise.all([
    fails(
      d,
      ['verify', 'req.json', '--trust', 'trust.json', '--newer', 'trust.json', ...TARGET],
      2,
      /not newer than v1/,
    ),
    fails(d, ['verify', 'req.json', '--trust', 'trust2.json', '--newer', 'trust3.json', ...TARGET], 2, /trust3\.json/),
    ok(
      d,
      ['verify', 'req.json', '--trust', 'trust.json', '--newer', 'trust2.json', ...TARGET],
      /WARNING: key \S+ of carol is revoked in trust root v2/,
    ),
  ]);
});
