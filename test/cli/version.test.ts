import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT, TSX } from './fixtures/run-cli.js';

// `dmconfirm --version` and the agent's status both say what package.json says, wherever the
// package sits: a copy of the tree with another version in package.json reports that version.
void test('--version reads package.json, not a constant', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-version-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '9.8.7-test.1' }));

  const cli = await promisify(execFile)(
    process.execPath,
    ['--import', TSX, join(dir, 'src', 'cli', 'main.ts'), '--version'],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(cli.stdout.trim(), '9.8.7-test.1');
  const agentModule = JSON.stringify(join(dir, 'src', 'agent', 'agent.ts'));
  const agent = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `import { AGENT_VERSION } from ${agentModule}; console.log(AGENT_VERSION);`,
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(agent.stdout.trim(), '9.8.7-test.1');
});

void test('the checkout reports its own package.json version', async () => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const cli = await promisify(execFile)(
    process.execPath,
    ['--import', TSX, join(ROOT, 'src', 'cli', 'main.ts'), '--version'],
    { encoding: 'utf8' },
  );
  assert.equal(cli.stdout.trim(), version);
});
