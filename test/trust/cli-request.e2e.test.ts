// The "done when": two operators, with the CLI alone, create keys and a trust root,
// write a request that needs 2-of-3, co-sign it, and `dmconfirm verify` accepts it; the bad
// cases are refused with their reason.
import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGET, fails, ok } from './cli-harness.js';
import { tempDir } from './fixtures.js';

void test('CLI: keys, a 2-of-3 trust root, a co-signed request accepted by verify; bad cases refused', async (t) => {
  const d = tempDir(t);
  await Promise.all(
    ['alice', 'bob', 'carol', 'noc'].map((name) => ok(d, ['keys', 'generate', '--out', name], /id [A-Za-z0-9_-]{43}/)),
  );
  await fails(d, ['keys', 'generate', '--out', 'alice'], 2, /already exists/);

  // Trust root: alice and bob hold the root role (2 of 2); alice, bob, carol approve (2 of 3).
  await ok(
    d,
    [
      'trust',
      'init',
      '--out',
      'trust.json',
      '--root',
      'alice.pub',
      '--root',
      'bob.pub',
      '--root-threshold',
      '2',
      '--approver',
      'alice.pub,bob.pub,carol.pub',
      '--approver-threshold',
      '2',
      '--requester',
      'noc.pub',
      '--key',
      'alice.key',
    ],
    /approver: 2 of 3 people/,
  );
  await fails(
    d,
    ['trust', 'verify', 'trust.json'],
    1,
    /root-threshold: trust root v1 is signed by 1 of 2 root holders/,
  );
  await ok(d, ['trust', 'sign', 'trust.json', '--key', 'bob.key']);
  await ok(d, ['trust', 'verify', 'trust.json'], /^OK/);

  // A draft for the NOC (a requester identity), signed by it and co-signed by the two operators.
  await ok(
    d,
    [
      'request',
      ...TARGET,
      '--enable',
      'container',
      '--method',
      'power',
      '--timeout',
      '5m',
      '--requester',
      'noc',
      '--out',
      'req.json',
    ],
    /unsigned draft: requester noc must sign/,
  );
  await ok(d, ['cosign', 'req.json', '--key', 'alice.key'], /container=yes/);
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET], 1, /REFUSED requester-signature-missing/);
  await ok(d, ['cosign', 'req.json', '--key', 'noc.key']);
  await fails(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET], 1, /REFUSED too-few-approvers: 1 of 2/);
  await fails(d, ['cosign', 'req.json', '--key', 'alice.key'], 2, /duplicate-signer/);
  await ok(d, ['cosign', 'req.json', '--key', 'bob.key']);
  await ok(
    d,
    ['verify', 'req.json', '--trust', 'trust.json', ...TARGET],
    /approved by alice, bob \(2 of 2 people needed/,
  );

  // Misdirected, without wall time, too old, tampered, malformed: independent, so run at once.
  const envelope = JSON.parse(readFileSync(join(d, 'req.json'), 'utf8')) as { payload: string };
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { change: unknown };
  payload.change = { features: { socks: true } };
  envelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
  writeFileSync(join(d, 'tampered.json'), JSON.stringify(envelope));
  writeFileSync(join(d, 'garbage.json'), '{"payload": 1');
  await Promise.all([
    fails(
      d,
      ['verify', 'req.json', '--trust', 'trust.json', '--agent', 'site2', '--router-serial', 'HF123'],
      1,
      /wrong-agent/,
    ),
    fails(
      d,
      ['verify', 'req.json', '--trust', 'trust.json', '--agent', 'site1', '--router-serial', 'HF999'],
      1,
      /wrong-router/,
    ),
    fails(
      d,
      ['verify', 'req.json', '--trust', 'trust.json', ...TARGET, '--clock', 'assume-unsynced'],
      1,
      /clock-unsynced/,
    ),
    fails(
      d,
      [
        'verify',
        'req.json',
        '--trust',
        'trust.json',
        ...TARGET,
        '--now',
        new Date(Date.now() + 2 * 86_400_000).toISOString(),
      ],
      1,
      /REFUSED expired/,
    ),
    fails(d, ['verify', 'tampered.json', '--trust', 'trust.json', ...TARGET], 1, /bad-signature/),
    fails(d, ['verify', 'garbage.json', '--trust', 'trust.json'], 1, /REFUSED malformed/),
  ]);
});
