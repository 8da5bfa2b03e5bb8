import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { challenge } from '../operator/fixtures.js';
import { runCli } from './fixtures/run-cli.js';

// Signing commands: say truly whether a signature counts, refuse what the agent would refuse
// as too late, and echo a bad enum value with a suggestion, in the options' own names.
async function workspace(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-signing-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  assert.equal((await cli(['keys', 'generate', '--out', 'alice'])).code, 0);
  return { dir, cli };
}

const REQUEST = ['request', '--agent', 'pi1', '--router-serial', 'HF1', '--enable', 'container', '--method', 'power'];

void test("approve says the approver's signature counts; request says the requester's does not", async (t) => {
  const { dir, cli } = await workspace(t);
  await writeFile(join(dir, 'ch.json'), JSON.stringify(challenge('gw').challenge));
  const approve = await cli([
    'approve',
    '--challenge',
    'ch.json',
    '--expect',
    'container=yes',
    '--method',
    'button',
    '--key',
    'alice.key',
    '--out',
    'ap.json',
  ]);
  assert.equal(approve.code, 0, approve.stderr);
  assert.doesNotMatch(approve.stdout, /does not count/);
  assert.match(approve.stdout, /signed by "alice" \(counts as an approval\)/);
  const request = await cli([...REQUEST, '--key', 'alice.key', '--out', 'req.json']);
  assert.equal(request.code, 0, request.stderr);
  assert.match(request.stdout, /signed by requester "alice" \(does not count as an approval\)/);
});

void test('a window that already closed is refused when signing, drafting or co-signing', async (t) => {
  const { cli } = await workspace(t);
  const past = '2020-01-01T00:00:00Z';
  const signed = await cli([...REQUEST, '--key', 'alice.key', '--not-after', past, '--out', 'late.json']);
  assert.equal(signed.code, 2);
  assert.match(signed.stderr, /its window closed at 2020-01-01T00:00:00\.000Z .*nothing signed/);
  const draft = await cli([...REQUEST, '--requester', 'noc', '--not-after', past, '--out', 'draft.json']);
  assert.equal(draft.code, 0, 'an unsigned draft carries no signature yet');
  const cosign = await cli(['cosign', 'draft.json', '--key', 'alice.key']);
  assert.equal(cosign.code, 2);
  assert.match(cosign.stderr, /its window closed at .*nothing signed/);
  const open = await cli([...REQUEST, '--key', 'alice.key', '--not-after', '+30m', '--out', 'ok.json']);
  assert.equal(open.code, 0, open.stderr);
});

/** An unsigned request draft of noc's for pi1's router HF1. */
const AT = ['--agent', 'pi1', '--router-serial', 'HF1'];
const draft = (...change: string[]) => ['request', ...AT, ...change, '--requester', 'noc'];

void test("bad enum values are echoed with a suggestion, under the option's name, no internal codes", async (t) => {
  const { cli } = await workspace(t);
  const cases: Array<[string[], RegExp]> = [
    [
      draft('--enable', 'contianer', '--method', 'power'),
      /^dmconfirm: --enable: "contianer" is not a device-mode feature; did you mean "container"\?$/,
    ],
    [
      draft('--enable', 'container', '--method', 'buton'),
      /^dmconfirm: --method: "buton" is not a method; did you mean "button"\?$/,
    ],
    [
      draft('--mode', 'roze', '--method', 'power'),
      /^dmconfirm: --mode: "roze" is not a device-mode; did you mean "rose"\?$/,
    ],
  ];
  for (const [args, expected] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr.trim(), expected);
    assert.doesNotMatch(r.stderr, /bad-payload/);
  }
});

void test('an unreadable key file is said plainly, without the internal key-file code', async (t) => {
  const { cli } = await workspace(t);
  const r = await cli(['keys', 'show', 'nope.pub']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^dmconfirm: nope\.pub: not a dmconfirm public key file/);
});
