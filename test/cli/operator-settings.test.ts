import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './fixtures/run-cli.js';

// Standing defaults for the operator commands: command line > DMCONFIRM_* > the settings file
// (XDG) > built-in default, shown by `config show --operator`; a default broker alone never
// makes a signing command publish.
const TARGET = ['--agent', 'pi1', '--router-serial', 'HF1234567'];
const REQUEST = ['request', ...TARGET, '--enable', 'container', '--method', 'power'];

async function workspace(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-opset-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'xdg', 'dmconfirm'), { recursive: true });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'xdg') };
  const settings = (text: string) => writeFile(join(dir, 'xdg', 'dmconfirm', 'operator.yaml'), text);
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env: { ...env, ...extra } });
  return { dir, settings, cli };
}

void test('config show --operator: each value and where it comes from', async (t) => {
  const { dir, settings, cli } = await workspace(t);
  await settings('broker: mqtts://broker.example:8883\nsite: north\nca: tls/ca.pem\n');
  const r = await cli(['config', 'show', '--operator'], { DMCONFIRM_SITE: 'south' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^# operator settings: .*${join(dir, 'xdg', 'dmconfirm', 'operator.yaml')}`, 'm'));
  assert.match(r.stdout, /^broker +mqtts:\/\/broker\.example:8883 +settings file$/m);
  assert.match(r.stdout, /^site +south +environment DMCONFIRM_SITE$/m);
  assert.match(r.stdout, new RegExp(`^ca +${join(dir, 'xdg', 'dmconfirm', 'tls', 'ca.pem')} +settings file$`, 'm'));
  assert.match(r.stdout, /^base +dmconfirm\/v1 +default$/m);
  assert.match(r.stdout, /^username +- +not set$/m);
});

void test('publish: broker and site from the file, the environment over it, the command line over both', async (t) => {
  const { settings, cli } = await workspace(t);
  assert.equal((await cli(['keys', 'generate', '--out', 'alice'])).code, 0);
  const made = await cli([...REQUEST, '--key', 'alice.key', '--out', 'req.json']);
  assert.equal(made.code, 0, made.stderr);
  await settings('broker: mqtt://from-file:1883\nsite: filesite\n');
  const fromFile = await cli(['publish', 'req.json', '--dry-run']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.match(fromFile.stdout, /mqtt:\/\/from-file:1883/);
  assert.match(fromFile.stdout, /dmconfirm\/v1\/filesite\/pi1\/request/);
  const fromEnv = await cli(['publish', 'req.json', '--dry-run'], { DMCONFIRM_BROKER: 'mqtt://from-env:1883' });
  assert.match(fromEnv.stdout, /mqtt:\/\/from-env:1883/);
  const fromCli = await cli(
    ['publish', 'req.json', '--dry-run', '--broker', 'mqtt://typed:1883', '--site', 'typedsite'],
    { DMCONFIRM_BROKER: 'mqtt://from-env:1883' },
  );
  assert.match(fromCli.stdout, /mqtt:\/\/typed:1883/);
  assert.match(fromCli.stdout, /dmconfirm\/v1\/typedsite\/pi1\/request/);
});

void test('a standing broker never makes request publish; --publish does', async (t) => {
  const { settings, cli } = await workspace(t);
  await settings('broker: mqtt://127.0.0.1:9\nsite: lab\n');
  const draft = await cli([...REQUEST, '--requester', 'noc', '--out', 'draft.json']);
  assert.equal(draft.code, 0, draft.stderr);
  assert.match(draft.stdout, /unsigned draft/);
  const asked = await cli([...REQUEST, '--requester', 'noc', '--publish']);
  assert.equal(asked.code, 2);
  assert.match(asked.stderr, /needs a signed message/);
  // Every order that may fetch a fresh challenge says so before connecting, not after a timeout.
  for (const order of [
    ['powercycle', ...TARGET, '--reason', 'hung'],
    ['cancel', 'req-00000001', ...TARGET],
  ]) {
    const unsigned = await cli([...order, '--requester', 'noc', '--publish']);
    assert.equal(unsigned.code, 2, `${order[0]}: ${unsigned.stderr}`);
    assert.match(unsigned.stderr, /needs a signed message/);
  }
});

void test('a broken settings file is one line for the commands that use it, and no other', async (t) => {
  const { settings, cli } = await workspace(t);
  await settings('brokr: mqtt://x\n');
  const r = await cli(['status']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /operator\.yaml: "brokr" is not a setting; did you mean "broker"\?/);
  assert.equal((await cli(['keys', 'generate', '--out', 'bob'])).code, 0);
});

void test('a bad value from a variable or the settings file names where it came from', async (t) => {
  const { settings, cli } = await workspace(t);
  const cases: Array<[string, string, RegExp]> = [
    ['DMCONFIRM_PROTOCOL', '7', /--protocol is 4 \(MQTT 3\.1\.1\) or 5/],
    ['DMCONFIRM_BROKER', 'http://x', /--broker http:\/\/x: give a URL like mqtt:\/\/host:1883/],
    ['DMCONFIRM_SITE', 'a/b', /--site: "a\/b" cannot be an MQTT topic level/],
    ['DMCONFIRM_BASE', 'dm/#', /--base: "dm\/#" is not an MQTT topic prefix/],
    ['DMCONFIRM_CONNECT_TIMEOUT', 'soon', /--connect-timeout: "soon" is not a duration/],
    ['DMCONFIRM_OFFLINE_AFTER', 'later', /--offline-after: "later" is not a duration/],
    ['DMCONFIRM_USERNAME', ' ', /--username: DMCONFIRM_USERNAME is empty; give it a value or remove it/],
  ];
  for (const [variable, value, problem] of cases) {
    // Checked before the command does anything: no broker is reached, no file read.
    const command = variable === 'DMCONFIRM_OFFLINE_AFTER' ? ['status'] : ['publish', 'none.json', '--dry-run'];
    const r = await cli(command, { [variable]: value });
    assert.equal(r.code, 2, `${variable}: ${r.stderr}`);
    assert.match(r.stderr, problem, variable);
    assert.match(r.stderr, new RegExp(`${variable}( is empty|\\)$)`, 'm'), variable);
  }
  await settings('protocol: 7\n');
  const fromFile = await cli(['status', '--broker', 'mqtt://127.0.0.1:9']);
  assert.equal(fromFile.code, 2);
  assert.match(fromFile.stderr, /--protocol is 4 .* \(the value "7" comes from protocol: in .*operator\.yaml\)/);
  // The command line wins: a typed value is judged as typed, and a good one hides the file's.
  const shown = await cli(['config', 'show', '--operator'], { DMCONFIRM_SITE: '' });
  assert.equal(shown.code, 2, 'config show --operator says what a command would refuse');
  assert.match(shown.stderr, /^dmconfirm: --site: DMCONFIRM_SITE is empty; give it a value or remove it$/m);
  assert.match(shown.stderr, /^dmconfirm: --protocol is 4 .*comes from protocol: in /m);
  const typed = await cli(['status', '--broker', 'mqtt://127.0.0.1:9', '--protocol', '8']);
  assert.equal(typed.code, 2);
  assert.match(typed.stderr, /^dmconfirm: --protocol is 4 \(MQTT 3\.1\.1\) or 5$/m);
});

void test('an unreadable TLS or password file from a variable names the variable', async (t) => {
  const { cli } = await workspace(t);
  const status = ['status', '--broker', 'mqtts://127.0.0.1:9'];
  for (const [variable, option] of [
    ['DMCONFIRM_CA', '--ca'],
    ['DMCONFIRM_PASSWORD_FILE', '--password-file'],
  ] as const) {
    const r = await cli(status, { [variable]: '/nonexistent/file' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${option}: cannot read .*/nonexistent/file: ENOENT .*comes from ${variable}`));
  }
  const unpaired = await cli(status, { DMCONFIRM_CERT: '/etc/hostname' });
  assert.match(unpaired.stderr, /--cert and --client-key go together \(the value comes from DMCONFIRM_CERT\)/);
});

void test('DMCONFIRM_OPERATOR_CONFIG naming a missing file, or empty, is an error, not "no settings"', async (t) => {
  const { cli } = await workspace(t);
  const missing = await cli(['status'], { DMCONFIRM_OPERATOR_CONFIG: '/nonexistent/operator.yaml' });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/nonexistent\/operator\.yaml: no such file \(named by DMCONFIRM_OPERATOR_CONFIG\)/);
  const empty = await cli(['config', 'show', '--operator'], { DMCONFIRM_OPERATOR_CONFIG: '' });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /DMCONFIRM_OPERATOR_CONFIG is empty/);
});
