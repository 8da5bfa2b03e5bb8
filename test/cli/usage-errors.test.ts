import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { commandGroups } from '../../src/cli/commands/index.js';
import { DEFAULT_AGENT_CONFIG } from '../../src/cli/agent-config-option.js';
import { runCli } from './fixtures/run-cli.js';

// Bad usage anywhere: exit 2, one line saying what is wrong and one hint naming the help;
// never the whole help text.
const cases: Array<{ args: string[]; says: RegExp; hint: string }> = [
  {
    args: ['status', '--broker', 'mqtt://127.0.0.1:9', '--wat'],
    says: /unknown option '--wat'/,
    hint: 'dmconfirm status --help',
  },
  {
    args: ['doctor', '--json', '--timeout'],
    says: /option '--timeout <[^>]+>' argument missing/,
    hint: 'dmconfirm doctor --help',
  },
  { args: ['agnt'], says: /unknown command 'agnt'.*agent/, hint: 'dmconfirm --help' },
  { args: ['trust'], says: /trust needs a command: init, /, hint: 'dmconfirm trust --help' },
  {
    args: ['trust', 'sgn', 'x.json'],
    says: /"sgn" is not a command; did you mean "sign"\?/,
    hint: 'dmconfirm trust --help',
  },
  {
    args: ['keys', 'generate'],
    says: /required option '--out <[^>]+>' not specified/,
    hint: 'dmconfirm keys generate --help',
  },
];

for (const { args, says, hint } of cases) {
  void test(`dmconfirm ${args.join(' ')}: exit 2, one line and a hint`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, says);
    assert.match(lines[0]!, /^dmconfirm: /);
    assert.equal(lines[1], `hint: ${hint} shows its usage`);
    assert.doesNotMatch(r.stdout + r.stderr, /Usage:|Options:/);
  });
}

void test('help and version still succeed', async () => {
  const help = await runCli(['status', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: dmconfirm status/);
  assert.equal((await runCli(['--version'])).code, 0);
});

void test('agent, doctor, pair and actuator test/release default --config to /etc/dmconfirm/agent.yaml', async () => {
  const program = new Command();
  for (const group of commandGroups) (await group.load())(program);
  const find = (path: string[]) =>
    path.reduce<Command>((c, name) => c.commands.find((s) => s.name() === name)!, program);
  for (const path of [['agent'], ['doctor'], ['pair'], ['actuator', 'test'], ['actuator', 'release']]) {
    const option = find(path).options.find((o) => o.long === '--config');
    assert.equal(option?.defaultValue, DEFAULT_AGENT_CONFIG, path.join(' '));
    assert.equal(option?.mandatory, false, path.join(' '));
  }
  const doctor = await runCli(['doctor']);
  assert.equal(doctor.code, 1);
  assert.match(doctor.stdout, /FAIL {2}configuration: \/etc\/dmconfirm\/agent\.yaml/);
});
