import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from './fixtures/run-cli.js';

/** The requester a signed message file names. */
async function requesterIn(file: string): Promise<string> {
  const envelope = JSON.parse(await readFile(file, 'utf8')) as { payload: string };
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8')) as {
    requester: { name: string };
  };
  return payload.requester.name;
}

// A dmconfirm key file names its identity: a requester name that is not the key's is refused
// by every signing command before anything is signed, naming both (the agent would refuse it:
// test/trust/people.test.ts). Without --requester the name comes from the key.
async function workspace(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-identity-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  assert.equal((await cli(['keys', 'generate', '--out', 'bot'])).code, 0);
  const targets = [{ site: 'lab', agent: 'pi1', router: { serial: 'HF1' } }];
  await writeFile(join(dir, 'fleet.yaml'), stringify({ targets }));
  return { dir, cli };
}

const TARGET = ['--agent', 'pi1', '--router-serial', 'HF1'];
const SIGNING: Array<[string, string[]]> = [
  ['request', ['request', ...TARGET, '--enable', 'container', '--method', 'power']],
  ['request --power-cycle', ['request', ...TARGET, '--power-cycle', 'hung']],
  ['powercycle', ['powercycle', ...TARGET, '--reason', 'hung']],
  ['cancel', ['cancel', 'req-00000001', ...TARGET]],
  [
    'rollout plan',
    ['rollout', 'plan', '--targets', 'fleet.yaml', '--enable', 'container', '--method', 'power'].concat([
      '--not-after',
      '+2d',
      '--abort-failures',
      '1',
      '--coordinator',
      'ops-bot',
    ]),
  ],
];

void test('every signing command refuses a --requester that is not the key identity', async (t) => {
  const { cli } = await workspace(t);
  for (const [name, args] of SIGNING) {
    const r = await cli([...args, '--key', 'bot.key', '--requester', 'nobody', '--out', `${name}.json`]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /--requester "nobody" is not the identity of the signing key bot\.key \("bot", key id /);
    assert.doesNotMatch(r.stdout, /wrote|signed by/, name);
  }
});

void test('the requester name comes from the key, and naming it again is fine', async (t) => {
  const { dir, cli } = await workspace(t);
  for (const [name, args] of SIGNING) {
    for (const [i, extra] of [[], ['--requester', 'bot']].entries()) {
      const out = `${name}-${i}.json`;
      const r = await cli([...args, '--key', 'bot.key', ...extra, '--out', out]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(await requesterIn(join(dir, out)), 'bot', name);
    }
  }
});

void test('--trust: the trust root names the requester of any key, SSH keys too', async (t) => {
  const { dir, cli } = await workspace(t);
  for (const who of ['alice', 'noc', 'noc-backup', 'mallory'])
    assert.equal((await cli(['keys', 'generate', '--out', who])).code, 0);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob@test', '-f', join(dir, 'bob_ssh')]);
  const root = ['--root', 'alice.pub', '--approver', 'alice.pub', '--requester', 'noc.pub', '--key', 'alice.key'];
  const steps = [
    ['trust', 'init', '--out', 'v1.json', ...root],
    [
      'trust',
      'add-key',
      'v1.json',
      '--pub',
      'noc-backup.pub',
      '--identity',
      'noc',
      '--same-person',
      '--out',
      'v2.json',
    ],
    [
      'trust',
      'add-key',
      'v2.json',
      '--pub',
      'bob_ssh.pub',
      '--identity',
      'bob',
      '--role',
      'requester',
      '--out',
      't.json',
    ],
    ['trust', 'sign', 't.json', '--key', 'alice.key'],
  ];
  for (const step of steps) assert.equal((await cli(step)).code, 0, step.join(' '));
  const request = SIGNING[0]![1];
  const refused = async (args: string[], message: RegExp) => {
    const r = await cli([...request, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  };
  const requesterOf = (out: string) => requesterIn(join(dir, out));
  // A key added to noc under another name: only the trust root can say it is noc's.
  await refused(['--key', 'noc-backup.key', '--requester', 'noc'], /give --trust TRUST\.json when the key was added/);
  const backup = await cli([...request, '--key', 'noc-backup.key', '--trust', 't.json', '--out', 'r1.json']);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /signed by requester "noc" with key "noc-backup"/);
  assert.equal(await requesterOf('r1.json'), 'noc');
  await refused(['--key', 'noc-backup.key', '--requester', 'alice', '--trust', 't.json'], /lists key .* under "noc"/);
  await refused(['--key', 'mallory.key', '--trust', 't.json'], /is no key of anyone in trust root v2 \(t\.json\)/);
  await refused(['--key', 'alice.key', '--trust', 't.json'], /"alice" has no requester role in trust root v2/);
  // An SSH key (a security key alike) names itself by its comment; the root by its identity.
  await refused(
    ['--ssh-keygen', 'bob_ssh', '--requester', 'bob'],
    /"bob" is not the identity .*\("bob@test", key id SHA256:/,
  );
  const ssh = await cli([...request, '--ssh-keygen', 'bob_ssh', '--trust', 't.json', '--out', 'r2.json']);
  assert.equal(ssh.code, 0, ssh.stderr);
  assert.equal(await requesterOf('r2.json'), 'bob');
  const checked = await cli(['verify', 'r2.json', '--trust', 't.json', ...TARGET]);
  assert.match(checked.stderr, /REFUSED too-few-approvers/, 'the requester passed: only approvals are missing');
});
