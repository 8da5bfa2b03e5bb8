// The operator CLI with SSH keys: trust init/add-key take SSH .pub files; request, approve and
// cosign sign through a real ssh-agent (--ssh-agent) and real ssh-keygen (--ssh-keygen); the
// offline verify runs the agent's checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyFiles } from '../../src/trust/keys.js';
import { TARGET, fails, ok } from './cli-harness.js';
import { tempDir } from './fixtures.js';
import {
  keygenFingerprint,
  plainBlob,
  pubLine,
  skBlob,
  sshAdd,
  sshKeygenKey,
  startSshAgent,
  testKey,
} from './ssh-fixtures.js';

void test('CLI: SSH keys in the trust root; --ssh-agent and --ssh-keygen sign requests and approvals', async (t) => {
  const d = tempDir(t);
  const { socket } = await startSshAgent(t, d);
  const saved = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = socket;
  t.after(() => (saved === undefined ? delete process.env.SSH_AUTH_SOCK : (process.env.SSH_AUTH_SOCK = saved)));
  for (const name of ['alice', 'noc']) await generateKeyFiles(join(d, name));
  const bob = sshKeygenKey(d, 'bob');
  const dave = sshKeygenKey(d, 'dave');
  sshAdd(socket, bob);
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
    'alice.pub,bob.pub,dave.pub',
    '--approver-threshold',
    '2',
    '--requester',
    'noc.pub,bob.pub',
    '--key',
    'alice',
  ]);
  await fails(d, ['trust', 'verify', 'trust.json'], 1, /root-threshold/);
  // bob holds the root role with his ssh-agent key: the second root signature.
  await ok(d, ['trust', 'sign', 'trust.json', '--ssh-agent'], /signed by "bob@test" \(2 signature\(s\)\)/);
  await ok(d, ['trust', 'verify', 'trust.json']);
  await ok(
    d,
    ['trust', 'show', 'trust.json'],
    new RegExp(`key ssh ${keygenFingerprint(`${bob}.pub`).replace(/[+/]/g, '\\$&')}`),
  );
  const root = readFileSync(join(d, 'trust.json'), 'utf8');
  const identities = (
    JSON.parse(Buffer.from((JSON.parse(root) as { payload: string }).payload, 'base64url').toString()) as {
      identities: Array<{ name: string; keys: Array<{ kind: string; keyId: string }> }>;
    }
  ).identities;
  assert.deepEqual(identities.find((i) => i.name === 'bob@test')?.keys, [
    {
      kind: 'ssh',
      keyId: keygenFingerprint(`${bob}.pub`),
      publicKey: readFileSync(`${bob}.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
    },
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
  await ok(d, [
    'approve',
    '--challenge',
    'challenge.json',
    '--expect',
    'container=yes',
    '--method',
    'button',
    '--ssh-agent',
    '--out',
    'approval.json',
  ]);
  await fails(
    d,
    ['cosign', 'approval.json', '--ssh-agent', '--ssh-key', keygenFingerprint(`${bob}.pub`)],
    2,
    /duplicate-signer/,
  );
  await fails(
    d,
    ['verify', 'approval.json', '--trust', 'trust.json', '--challenge', 'challenge.json', ...TARGET],
    1,
    /too-few-approvers/,
  );
  await ok(d, ['cosign', 'approval.json', '--ssh-keygen', dave], /now 2 signature\(s\)/);
  await ok(
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
    /approved by bob@test, dave@test/,
  );

  // A request signed by its requester through ssh-agent; approvers with a key file and ssh-keygen.
  await ok(
    d,
    [
      'request',
      ...TARGET,
      '--enable',
      'container',
      '--method',
      'power',
      '--ssh-agent',
      '--requester',
      'bob@test',
      '--out',
      'req.json',
    ],
    /signed by requester "bob@test" \(does not count as an approval\)/,
  );
  await ok(d, ['cosign', 'req.json', '--key', 'alice']);
  await ok(d, ['cosign', 'req.json', '--ssh-keygen', dave]);
  await ok(d, ['verify', 'req.json', '--trust', 'trust.json', ...TARGET], /approved by alice, dave@test/);

  // Option mistakes are named.
  await fails(d, ['cosign', 'req.json'], 2, /--key FILE, --ssh-agent/);
  await fails(
    d,
    ['cosign', 'req.json', '--key', 'alice', '--ssh-agent'],
    2,
    /one of --key, --ssh-agent or --ssh-keygen/,
  );
  await fails(d, ['cosign', 'req.json', '--ssh-key', keygenFingerprint(`${bob}.pub`)], 2, /give --ssh-agent too/);
  await fails(
    d,
    ['cosign', 'req.json', '--ssh-agent', '--ssh-key', keygenFingerprint(`${dave}.pub`)],
    2,
    /holds no ssh-ed25519 key/,
  );

  // A security key joins with --verify-required; a plain key cannot.
  const carol = testKey();
  writeFileSync(join(d, 'carol_sk.pub'), `${pubLine(skBlob(carol), 'carol yubikey')}\n`);
  await ok(d, [
    'trust',
    'add-key',
    'trust.json',
    '--pub',
    'carol_sk.pub',
    '--identity',
    'carol',
    '--role',
    'approver',
    '--verify-required',
    '--out',
    'v2.json',
  ]);
  await ok(d, ['trust', 'show', 'v2.json'], /carol .*\n +key ssh SHA256:\S+ \(security key\) verify-required/);
  const v2 = JSON.parse(
    Buffer.from(
      (JSON.parse(readFileSync(join(d, 'v2.json'), 'utf8')) as { payload: string }).payload,
      'base64url',
    ).toString(),
  ) as {
    identities: Array<{ name: string; keys: Array<{ kind: string; verifyRequired?: boolean }> }>;
  };
  assert.deepEqual(
    v2.identities.find((i) => i.name === 'carol')?.keys.map((k) => [k.kind, k.verifyRequired]),
    [['ssh', true]],
  );
  // The same key bytes as a plain key too would count twice: refused when editing.
  writeFileSync(join(d, 'carol_plain.pub'), `${pubLine(plainBlob(carol), 'carol plain')}\n`);
  await fails(
    d,
    ['trust', 'add-key', 'v2.json', '--pub', 'carol_plain.pub', '--identity', 'mallory', '--role', 'approver'],
    2,
    /same key bytes/,
  );
  await fails(
    d,
    [
      'trust',
      'add-key',
      'trust.json',
      '--pub',
      'dave.pub',
      '--identity',
      'erin',
      '--role',
      'approver',
      '--verify-required',
      '--out',
      'v3.json',
    ],
    2,
    /for security keys/,
  );
});
