import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { challenge } from '../operator/fixtures.js';
import { runCli, type CliResult } from './fixtures/run-cli.js';

// Bad input to every command that takes it: exit 2 and one line naming the option the user
// typed (`--not-after`), never a member of the message or the schema (`window.notAfter`).
const INTERNAL =
  /window\.|not(After|Before)\b|activationTimeoutSeconds|thresholds\.|systemId|requestId|issuedAt|payload\.|change\.|router\.|requester\.|features\.|expect\.|acceptPending|bad-payload|root-invalid|Error\b|\.ts:\d/;

const R = ['--agent', 'pi1', '--router-serial', 'HF1', '--key', 'alice.key'];
const REQ = ['request', ...R, '--method', 'button'];
const PC = ['powercycle', ...R, '--reason', 'hung'];
const AP = ['approve', '--challenge', 'ch.json', '--method', 'button', '--key', 'alice.key'];
const BROKER = ['--broker', 'mqtt://127.0.0.1:9'];
const INIT = ['trust', 'init', '--out', 't.json', '--root', 'alice.pub', '--approver', 'alice.pub'];
const FETCH = ['--method', 'button', '--enable', 'fetch'];
/** A signed request for fetch, addressed by the given target options. */
const request = (...target: string[]) => ['request', ...target, '--key', 'alice.key', ...FETCH];
/** An unsigned draft of it for pi1's router HF1, with the given requester options. */
const draft = (...who: string[]) => ['request', '--agent', 'pi1', '--router-serial', 'HF1', ...who, ...FETCH];

const cases: Array<{ args: string[]; option: string }> = [
  { args: [...REQ, '--enable', 'container', '--not-after', 'yesterday'], option: '--not-after' },
  { args: [...REQ, '--enable', 'container', '--not-after', '+abc'], option: '--not-after' },
  { args: [...REQ, '--enable', 'container', '--not-before', '2026-13-45'], option: '--not-before' },
  {
    args: [...REQ, '--enable', 'container', '--not-before', '+2h', '--not-after', '+1h'],
    option: '--not-before/--not-after',
  },
  { args: [...REQ, '--enable', 'container', '--timeout', '3s'], option: '--timeout' },
  { args: [...REQ, '--enable', 'container', '--timeout', '2d'], option: '--timeout' },
  { args: [...REQ, '--enable', 'container', '--timeout', 'soon'], option: '--timeout' },
  { args: [...REQ, '--enable', 'contianer'], option: '--enable' },
  { args: [...REQ, '--disable', 'sock'], option: '--disable' },
  { args: [...REQ, '--mode', 'rouse'], option: '--mode' },
  { args: [...REQ], option: '--enable/--disable/--mode/--flagged-no' },
  { args: request('--agent', 'pi/1', '--router-serial', 'HF1'), option: '--agent' },
  { args: request('--agent', 'pi1', '--router-serial', 'H F'), option: '--router-serial' },
  { args: request('--agent', 'pi1', '--router-system-id', ''), option: '--router-system-id' },
  {
    args: request('--agent', 'pi1', '--router-serial', 'HF1', '--router-system-id', 'X'),
    option: '--router-serial/--router-system-id',
  },
  { args: draft('--requester', 'no body'), option: '--requester' },
  { args: [...REQ, '--enable', 'fetch', '--method', 'buton'], option: '--method' },
  { args: [...REQ, '--enable', 'fetch', '--challenge', '{"v":2}'], option: '--challenge' },
  { args: [...PC, '--note', 'x'.repeat(501)], option: '--note' },
  { args: [...PC, '--accept-pending', 'mode=roze'], option: '--accept-pending' },
  { args: [...PC, '--accept-pending', 'contianer=yes'], option: '--accept-pending' },
  { args: [...PC, '--not-after', 'later'], option: '--not-after' },
  { args: [...AP, '--expect', 'contianer=yes'], option: '--expect' },
  { args: [...AP, '--enable', 'contianer'], option: '--enable' },
  { args: [...AP, '--expect', 'container=yes', '--not-after', 'tomorrow'], option: '--not-after' },
  { args: [...INIT, '--root-threshold', '0'], option: '--root-threshold' },
  { args: [...INIT, '--approver-threshold', 'two'], option: '--approver-threshold' },
  { args: ['trust', 'add-key', 'trust.json', '--pub', 'bob.pub', '--role', 'aprover'], option: '--role' },
  { args: ['trust', 'set-threshold', 'trust.json', '2', '--feature', 'contianer'], option: '--feature' },
  { args: ['trust', 'set-threshold', 'trust.json', '2', '--mode', 'rouse'], option: '--mode' },
  { args: ['trust', 'set-threshold', 'trust.json', '2', '--role', 'requester'], option: '--role' },
  { args: ['keys', 'generate', '--out', 'carol', '--name', 'carol/x'], option: '--name' },
  { args: ['status', ...BROKER, '--base', 'a/#'], option: '--base' },
  { args: ['status', ...BROKER, '--settle', 'abc'], option: '--settle' },
  { args: ['status', ...BROKER, '--protocol', '6'], option: '--protocol' },
  { args: ['status', '--broker', 'localhost'], option: '--broker' },
  { args: ['forget', ...BROKER, '--agent', 'a/+'], option: '--agent' },
  { args: ['forget', ...BROKER, '--agent', 'a1', '--site', 'x#'], option: '--site' },
  { args: ['follow', 'abcdefgh-1', ...BROKER, '--wait', 'xx'], option: '--wait' },
  { args: ['doctor', '--timeout', 'abc'], option: '--timeout' },
  { args: ['verify', 'req.json', '--trust', 'trust.json', '--now', 'yesterday'], option: '--now' },
  { args: ['verify', 'req.json', '--trust', 'trust.json', '--clock', 'wat'], option: '--clock' },
  { args: ['completion', 'tcsh'], option: '"tcsh" is not a shell' },
];

void test('every bad option value is named by its option, never by a message or schema member', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-options-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  for (const name of ['alice', 'bob']) assert.equal((await cli(['keys', 'generate', '--out', name])).code, 0);
  const root = await cli(
    ['trust', 'init', '--out', 'trust.json', '--root', 'alice.pub', '--approver', 'alice.pub'].concat([
      '--key',
      'alice.key',
    ]),
  );
  assert.equal(root.code, 0, root.stderr);
  assert.equal((await cli([...REQ, '--enable', 'fetch', '--out', 'req.json'])).code, 0);
  await writeFile(join(dir, 'ch.json'), JSON.stringify(challenge('gw').challenge));

  const failures: string[] = [];
  const results = new Map<(typeof cases)[number], CliResult>();
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    (await Promise.all(batch.map((c) => cli(c.args)))).forEach((r, j) => results.set(batch[j]!, r));
  }
  for (const c of cases) {
    const r = results.get(c)!;
    const first = r.stderr.split('\n')[0] ?? '';
    const named = first.startsWith('dmconfirm: ') && first.includes(c.option);
    if (r.code !== 2 || !named || INTERNAL.test(r.stderr))
      failures.push(`dmconfirm ${c.args.join(' ')}\n  exit ${r.code}: ${r.stderr.trim()}`);
  }
  assert.deepEqual(failures, []);
});
