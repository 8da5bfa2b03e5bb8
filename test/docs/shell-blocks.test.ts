import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docFiles, ROOT, shellBlocks, type ShellBlock } from './fixtures/doc-blocks.js';

// Every shell block a user would type in README.md and docs/ either runs here or is marked
// as needing hardware or a real site, so the docs cannot drift from the code.
const blocks = docFiles().flatMap(shellBlocks);
const where = (b: ShellBlock) => `${b.file}:${b.line}`;

void test('every shell block in the docs runs here, or is marked needs: hardware|site|bench or tested-by', () => {
  assert.ok(blocks.length >= 10, "found the docs' shell blocks");
  const unmarked = blocks.filter((b) => b.marker === undefined).map(where);
  assert.deepEqual(
    unmarked,
    [],
    'put <!-- doc-test -->, <!-- needs: hardware|site|bench --> or <!-- tested-by: PATH --> before each',
  );
  for (const b of blocks) {
    if (b.marker?.kind === 'tested-by')
      assert.ok(existsSync(join(ROOT, b.marker.path)), `${where(b)}: ${b.marker.path} does not exist`);
  }
});

/** Network and pid namespaces: the docs' fixed ports are free, and nothing started outlives the shell. */
const isolation =
  spawnSync('unshare', ['-n', '-p', '-f', '--mount-proc', 'true']).status === 0
    ? false
    : 'needs root (CAP_SYS_ADMIN) for unshare -n -p: the docs use fixed ports';

/** A checkout to run from: the repository's entries, linked, so nothing is written into it. */
async function checkout(dir: string): Promise<void> {
  for (const name of readdirSync(ROOT)) {
    if (name !== '.git') await symlink(join(ROOT, name), join(dir, name));
  }
}

/** How the test stands in for step 1 (`npm ci && npm run build`): the CLI runs from src/ through tsx. */
const PREAMBLE = `set -e
ip link set lo up
npm() { case "$*" in ci|"run build") return 0;; esac; command npm "$@"; }
dmconfirm() {
  node --import "${fileURLToPath(import.meta.resolve('tsx'))}" "${join(ROOT, 'src', 'cli', 'main.ts')}" "$@"
}
`;

/** The user's own operator settings and overrides stay out of it. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('DMCONFIRM') && k !== 'XDG_CONFIG_HOME'),
);

const backgrounded = (code: string) =>
  code.split('\n').filter((l) => /[^&]&\s*(#.*)?$/.test(l.replace(/\s+#.*$/, ''))).length;

for (const file of [...new Set(blocks.filter((b) => b.marker?.kind === 'doc-test').map((b) => b.file))]) {
  void test(`the shell blocks of ${file} run as written`, { skip: isolation, timeout: 240_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-docs-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const work = join(dir, 'checkout');
    const home = join(dir, 'home');
    await Promise.all([rm(work, { force: true }), rm(home, { force: true })]);
    await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(work), fs.mkdir(home)]));
    await checkout(work);
    const code = blocks
      .filter((b) => b.file === file && b.marker?.kind === 'doc-test')
      .map((b) => `# ${where(b)}\n${b.code}`)
      .join('\n');
    // Background commands (the simulator, mosquitto, the agent) must still run at the end.
    const script =
      `${PREAMBLE}${code}\nsleep 3\nrunning=$(jobs -r | wc -l)\n[ "$running" -eq ${backgrounded(code)} ] ` +
      `|| { echo "background jobs running: $running of ${backgrounded(code)}" >&2; jobs >&2; exit 1; }\n`;
    const child = spawn('unshare', ['-n', '-p', '-f', '--mount-proc', 'bash', '-c', script], {
      cwd: work,
      env: { ...cleanEnv, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(status, 0, `${file}: a block failed:\n${out}`);
    if (file === 'README.md') assert.match(out, /^done: verified: mode home, attempt-count 0$/m, out);
  });
}
