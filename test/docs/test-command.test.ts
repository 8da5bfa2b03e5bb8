import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The README's test command installs what the tests need, and `npm test` stops at once,
// naming that command, when a system tool is missing (scripts/test-deps.list is the one list).
const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** A PATH holding node, npm and every listed tool except `without` (sbin is added by preflight). */
async function pathWithout(without: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-path-'));
  const which = async (cmd: string) => (await run('sh', ['-c', `command -v ${cmd}`])).stdout.trim();
  for (const cmd of ['node', 'npm', 'sh', 'dirname', 'id', 'sed', 'socat', 'gpioset', 'python3', 'ssh-keygen'].filter(
    (c) => c !== without,
  )) {
    await symlink(await which(cmd), join(dir, cmd));
  }
  return dir;
}

async function fails(file: string, args: string[], env: NodeJS.ProcessEnv) {
  try {
    await run(file, args, { cwd: ROOT, env, encoding: 'utf8' });
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string };
  }
  assert.fail(`${file} ${args.join(' ')} succeeded`);
}

void test('npm test stops before typecheck, naming the install command, when socat is missing', async (t) => {
  const path = await pathWithout('socat');
  t.after(() => rm(path, { recursive: true, force: true }));
  const started = Date.now();
  const error = await fails(join(path, 'npm'), ['test', '--silent'], { HOME: process.env.HOME, PATH: path });
  assert.equal(error.code, 1);
  const lines = error.stderr.trim().split('\n');
  assert.equal(lines.length, 1, error.stderr);
  assert.match(lines[0]!, /needs socat .*install them with: scripts\/install-test-deps\.sh$/);
  assert.doesNotMatch(error.stdout + error.stderr, /tsc|eslint|error TS/);
  t.diagnostic(`stopped after ${Date.now() - started} ms`);
});

void test('run-tests.mjs also checks first; the installer would apt-get exactly the missing package', async (t) => {
  const path = await pathWithout('gpioset');
  t.after(() => rm(path, { recursive: true, force: true }));
  const error = await fails(process.execPath, ['scripts/run-tests.mjs', 'test/docs/nothing'], { PATH: path });
  assert.match(error.stderr, /needs gpiod .*scripts\/install-test-deps\.sh/);
  const dry = await run('sh', ['scripts/install-test-deps.sh', '--dry-run'], { cwd: ROOT, env: { PATH: path } });
  assert.match(dry.stdout.trim(), /^(sudo )?apt-get install -y --no-install-recommends gpiod$/);
});

void test('with everything installed, preflight passes and the installer has nothing to do', async () => {
  await run(process.execPath, ['scripts/preflight.mjs'], { cwd: ROOT });
  const dry = await run('sh', ['scripts/install-test-deps.sh', '--dry-run'], { cwd: ROOT });
  assert.equal(dry.stdout.trim(), 'test dependencies: all installed');
});

void test('the README, CI and the package.json all use the one install script and preflight', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, /^scripts\/install-test-deps\.sh && npm ci && npm test\b/m);
  assert.match(await readFile(join(ROOT, '.ci', 'run'), 'utf8'), /^scripts\/install-test-deps\.sh$/m);
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.test!, /^node scripts\/preflight\.mjs && /);
  const list = await readFile(join(ROOT, 'scripts', 'test-deps.list'), 'utf8');
  for (const pkgName of ['mosquitto', 'socat', 'gpiod', 'faketime'])
    assert.match(list, new RegExp(`^${pkgName}\\s`, 'm'));
});
