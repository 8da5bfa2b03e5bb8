import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { runCli } from './fixtures/run-cli.js';

// `dmconfirm completion bash|zsh|fish`: scripts generated from the command tree; the bash one
// is run here exactly as bash runs it on TAB.
const run = promisify(execFile);

async function complete(script: string, line: string): Promise<string[]> {
  const words = line.split(' ');
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_dmconfirm; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await run('bash', ['-c', program], { encoding: 'utf8' });
  return stdout.split('\n').filter(Boolean).sort();
}

void test('bash: sub-commands and options at every level, as typed', async () => {
  const r = await runCli(['completion', 'bash']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await complete(r.stdout, 'dmconfirm tr'), ['trust']);
  assert.deepEqual(await complete(r.stdout, 'dmconfirm fo'), ['follow', 'forget']);
  assert.ok((await complete(r.stdout, 'dmconfirm trust ')).includes('sign'));
  assert.deepEqual(await complete(r.stdout, 'dmconfirm trust si'), ['sign']);
  assert.deepEqual(await complete(r.stdout, 'dmconfirm status --w'), ['--watch', '--wide']);
  assert.ok((await complete(r.stdout, 'dmconfirm trust sign --k')).includes('--key'));
  assert.deepEqual(await complete(r.stdout, 'dmconfirm request --agent pi1 --en'), ['--enable']);
});

void test('zsh and fish scripts are generated (and parse, where the shell is installed)', async () => {
  const zsh = await runCli(['completion', 'zsh']);
  assert.equal(zsh.code, 0);
  assert.match(zsh.stdout, /bashcompinit/);
  const fish = await runCli(['completion', 'fish']);
  assert.equal(fish.code, 0);
  assert.match(fish.stdout, /^complete -c dmconfirm -n '__fish_use_subcommand' -a '.*\btrust\b.*'$/m);
  assert.match(
    fish.stdout,
    /^complete -c dmconfirm -n '__fish_seen_subcommand_from trust; and not __fish_seen_subcommand_from init .*' -a 'init /m,
  );
  for (const [shell, text] of [
    ['zsh', zsh.stdout],
    ['fish', fish.stdout],
  ] as const) {
    if (spawnSync('sh', ['-c', `command -v ${shell}`]).status !== 0) continue;
    assert.equal(spawnSync(shell, ['-n'], { input: text }).status, 0, `${shell} -n`);
  }
});

void test('an unknown shell is a usage error with a suggestion', async () => {
  const r = await runCli(['completion', 'bsh']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"bsh" is not a shell; did you mean "bash"\?/);
});
