import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

// `npm run deb`: build the package, install it with dpkg into a private root, run the
// installed CLI from it (doctor included), remove it and check only configuration is left.
const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

const unsupported =
  spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status !== 0
    ? 'needs root for unshare -m (the package lives in /opt)'
    : spawnSync('dpkg-deb', ['--version']).status !== 0
      ? 'needs dpkg-deb (Debian)'
      : false;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

void test(
  'npm run deb builds a package that installs, runs doctor, and removes cleanly',
  { skip: unsupported, timeout: 300_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-deb-test-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    let started = Date.now();
    const built = await run('npm', ['run', '--silent', 'deb', '--', '--out', join(dir, 'out')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const deb = built.stdout.trim().split('\n').at(-1)!;
    t.diagnostic(`built ${deb} in ${Date.now() - started} ms`);
    assert.match(deb, /dmconfirm_\d+\.\d+\.\d+_\w+\.deb$/);

    // What it declares and carries: nodejs dependency, production modules only, unit and sysusers.
    const info = (await run('dpkg-deb', ['--field', deb], { encoding: 'utf8' })).stdout;
    assert.match(info, /^Depends: nodejs \(>= 20\.19\)$/m);
    const contents = (await run('dpkg-deb', ['--contents', deb], { encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;
    for (const path of [
      './opt/dmconfirm/dist/cli/main.js',
      './opt/dmconfirm/node_modules/mqtt/package.json',
      './usr/bin/dmconfirm',
      './usr/lib/systemd/system/dmconfirm-agent.service',
      './usr/lib/systemd/system/dmconfirm-rollout@.service',
      './usr/lib/sysusers.d/dmconfirm.conf',
      './etc/dmconfirm/agent.example.yaml',
    ]) {
      assert.ok(contents.includes(` ${path}`), `package lacks ${path}`);
    }
    for (const dev of ['typescript', 'eslint', 'tsx', 'fast-check'])
      assert.ok(!contents.includes(`/node_modules/${dev}/`), `dev dependency ${dev} packaged`);
    assert.doesNotMatch(contents, /^[^ ]+ (?!root\/root)/m, 'every file owned by root');

    // A private root with only nodejs known to its dpkg database.
    const root = join(dir, 'root');
    await mkdir(join(root, 'var', 'lib', 'dpkg', 'updates'), { recursive: true });
    await mkdir(join(root, 'var', 'lib', 'dpkg', 'info'));
    const nodejs = spawnSync('dpkg-query', ['-s', 'nodejs'], { encoding: 'utf8' });
    await writeFile(join(root, 'var', 'lib', 'dpkg', 'status'), nodejs.status === 0 ? nodejs.stdout : '');
    await writeFile(join(root, 'var', 'lib', 'dpkg', 'info', 'nodejs.list'), '');
    const dpkg = (...args: string[]) =>
      run(
        'dpkg',
        [
          `--root=${root}`,
          '--force-script-chrootless',
          '--log=/dev/null',
          ...(nodejs.status === 0 ? [] : ['--force-depends']),
          ...args,
        ],
        { encoding: 'utf8' },
      );
    started = Date.now();
    const installed = await dpkg('-i', deb);
    t.diagnostic(`installed in ${Date.now() - started} ms`);
    assert.match(installed.stdout, /the agent is not started/);
    assert.match(
      await readFile(join(root, 'etc', 'passwd'), 'utf8'),
      /^dmconfirm:x:\d+:\d+:dmconfirm agent:\/var\/lib\/dmconfirm:/m,
    );
    assert.match(await readFile(join(root, 'etc', 'group'), 'utf8'), /^gpio:x:\d+:dmconfirm$/m);
    // Never started before it is configured: not enabled, and the unit refuses without agent.yaml.
    assert.equal(
      (await walk(join(root, 'etc'))).some((p) => relative(root, p).includes('.wants')),
      false,
    );
    assert.match(
      await readFile(join(root, 'usr', 'lib', 'systemd', 'system', 'dmconfirm-agent.service'), 'utf8'),
      /^ConditionPathExists=\/etc\/dmconfirm\/agent\.yaml$/m,
    );
    // The rollout coordinator's unit (operations host): installed as shipped, never enabled, and what it
    // starts is in the package.
    const rolloutUnit = await readFile(
      join(root, 'usr', 'lib', 'systemd', 'system', 'dmconfirm-rollout@.service'),
      'utf8',
    );
    assert.equal(rolloutUnit, await readFile(join(ROOT, 'systemd', 'dmconfirm-rollout@.service'), 'utf8'));
    const rolloutExec = /^ExecStart=\/usr\/bin\/env node (\S+) rollout start /m.exec(rolloutUnit);
    assert.ok(rolloutExec, 'the rollout unit starts the packaged CLI');
    await stat(join(root, rolloutExec[1]!));

    // The installed CLI, with /opt/dmconfirm where it expects it (a private mount namespace).
    const site = join(dir, 'site');
    await mkdir(join(site, 'state'), { recursive: true, mode: 0o700 });
    await writeFile(join(site, 'router.password'), 'x\n', { mode: 0o600 });
    const script = `set -e
mount -t tmpfs none /opt && mkdir /opt/dmconfirm && mount --bind "$ROOT_DIR/opt/dmconfirm" /opt/dmconfirm
dmconfirm() { "$ROOT_DIR/usr/bin/dmconfirm" "$@"; }
cd "$SITE"
dmconfirm --version
dmconfirm keys generate --out agent >/dev/null && dmconfirm keys generate --out alice >/dev/null
dmconfirm trust init --out trust.json --root alice.pub --approver alice.pub --key alice.key >/dev/null
cp /opt/dmconfirm/config/examples/sim.yaml agent.yaml
dmconfirm doctor --config agent.yaml --timeout 500 || echo "doctor exit $?"
dmconfirm doctor || echo "doctor exit $?"
`;
    const cli = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
      env: { ...process.env, ROOT_DIR: root, SITE: site },
    });
    const pkgVersion = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(cli.stdout, new RegExp(`^${pkgVersion.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(cli.stdout, /^PASS {2}configuration: .*agent\.yaml is valid/m);
    assert.match(cli.stdout, /^PASS {2}agent key: Ed25519/m);
    assert.match(cli.stdout, /^PASS {2}trust root: v1/m);
    assert.match(
      cli.stdout,
      /^FAIL {2}configuration: \/etc\/dmconfirm\/agent\.yaml/m,
      'doctor defaults to /etc/dmconfirm/agent.yaml',
    );

    // Remove: only configuration stays (the example conffile, /etc/dmconfirm, the system user).
    await dpkg('-r', 'dmconfirm');
    const left = (await walk(root))
      .map((p) => relative(root, p))
      .filter((p) => !p.startsWith('var/lib/dpkg') && p !== 'var/lib' && p !== 'var');
    const configuration =
      /^(etc|etc\/dmconfirm|etc\/dmconfirm\/agent\.example\.yaml|etc\/dmconfirm\/credentials|etc\/(passwd|group|shadow|gshadow)-?|etc\/\.pwd\.lock)$/;
    assert.deepEqual(
      left.filter((p) => !configuration.test(p)),
      [],
      'left behind after dpkg -r',
    );
    assert.ok(left.includes('etc/dmconfirm/agent.example.yaml'), 'configuration kept on remove');
    assert.equal((await stat(join(root, 'etc', 'dmconfirm', 'credentials'))).mode & 0o777, 0o700);
    await dpkg('--purge', 'dmconfirm');
    assert.deepEqual(
      (await walk(join(root, 'etc'))).map((p) => relative(root, p)).filter((p) => p.startsWith('etc/dmconfirm')),
      [],
      'purge removes /etc/dmconfirm',
    );
  },
);
