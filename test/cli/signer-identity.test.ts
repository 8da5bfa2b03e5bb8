import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from './fixtures/run-cli.js';

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
      const envelope = JSON.parse(await readFile(join(dir, out), 'utf8')) as { payload: string };
      const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString('utf8')) as {
        requester: { name: string };
      };
      assert.equal(payload.requester.name, 'bot', name);
    }
  }
});
