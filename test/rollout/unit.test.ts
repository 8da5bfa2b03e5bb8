// Issue 12: the rollout coordinator's systemd unit runs the command the CLI has, with its state where the unit keeps
// it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerRollout } from '../../src/cli/commands/rollout.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const unitPath = join(root, 'systemd', 'dmconfirm-rollout@.service');
const unit = readFileSync(unitPath, 'utf8');
const one = (key: string) =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .at(-1)
    ?.slice(key.length + 1);

void test('the rollout unit runs "rollout start" with options it has, resuming from its state directory', () => {
  const exec = one('ExecStart') ?? '';
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { dmconfirm: string } };
  assert.ok(exec.includes(`/opt/dmconfirm/${pkg.bin.dmconfirm} rollout start`));
  const program = new Command();
  registerRollout(program);
  const start = program.commands.find((c) => c.name() === 'rollout')!.commands.find((c) => c.name() === 'start')!;
  const known = new Set(start.options.map((o) => o.long));
  for (const flag of exec.match(/--[a-z-]+/g) ?? [])
    assert.ok(known.has(flag), `${flag} is an option of rollout start`);
  assert.match(exec, new RegExp(`--state-dir /var/lib/${one('StateDirectory')}/%i`));
  assert.equal(one('RestartPreventExitStatus'), '1 2', 'an aborted rollout (exit 1) is not restarted');
});

void test(
  'systemd-analyze accepts every directive of the rollout unit',
  { skip: spawnSync('systemd-analyze', ['--version']).status !== 0 && 'no systemd-analyze' },
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-unit-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const instance = join(dir, 'dmconfirm-rollout@spring.service');
    copyFileSync(unitPath, instance);
    const r = spawnSync('systemd-analyze', ['verify', instance], { encoding: 'utf8' });
    const complaints = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('dmconfirm-rollout'));
    assert.deepEqual(complaints, []);
  },
);
