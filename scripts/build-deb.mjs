// npm run deb: a Debian package of dmconfirm, built with dpkg-deb.
//   /opt/dmconfirm                 dist/ (compiled fresh), production node_modules, config, systemd, docs
//   /usr/bin/dmconfirm             the CLI
//   /usr/lib/systemd/system/       dmconfirm-agent.service (never enabled by the package)
//                                  dmconfirm-rollout@.service (the coordinator on an operations host; never enabled)
//   /usr/lib/sysusers.d/           dmconfirm.conf (the agent's user, in gpio and dialout)
//   /etc/dmconfirm/agent.example.yaml   (conffile) where a configuration starts
// The native addons (GPIO, serial) are compiled for this machine, so the package is for this
// architecture: build it on the Pi (or the same architecture and Node major).
//   node scripts/build-deb.mjs [--out DIR]     prints the path of the .deb
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGING = join(ROOT, 'packaging', 'deb');
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : join(ROOT, 'build');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', ...opts });

const stage = mkdtempSync(join(tmpdir(), 'dmconfirm-deb-'));
try {
  const root = join(stage, 'root');
  const app = join(root, 'opt', 'dmconfirm');
  mkdirSync(app, { recursive: true });

  // The compiled CLI, straight into the package (the checkout's dist/ is left alone).
  run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', join(app, 'dist')]);
  for (const entry of ['package.json', 'package-lock.json', 'README.md', 'config', 'systemd', 'docs']) {
    cpSync(join(ROOT, entry), join(app, entry), { recursive: true, dereference: true });
  }
  // Production dependencies only, as installed here (native addons built for this machine).
  const packages = run('npm', ['ls', '--omit=dev', '--all', '--parseable']).trim().split('\n').slice(1);
  for (const dir of packages) {
    cpSync(dir, join(app, relative(ROOT, dir)), {
      recursive: true,
      dereference: true,
      filter: (src) => relative(dir, src).split('/')[0] !== 'node_modules',
    });
  }

  const place = (from, to, mode = 0o644) => {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    cpSync(from, join(root, to), { dereference: true });
    chmodSync(join(root, to), mode);
  };
  place(join(PACKAGING, 'dmconfirm'), 'usr/bin/dmconfirm', 0o755);
  for (const unit of ['dmconfirm-agent.service', 'dmconfirm-rollout@.service']) {
    place(join(ROOT, 'systemd', unit), `usr/lib/systemd/system/${unit}`);
  }
  place(join(ROOT, 'systemd', 'dmconfirm.sysusers'), 'usr/lib/sysusers.d/dmconfirm.conf');
  place(join(ROOT, 'config', 'agent.example.yaml'), 'etc/dmconfirm/agent.example.yaml');
  place(join(PACKAGING, 'copyright'), 'usr/share/doc/dmconfirm/copyright');
  place(join(ROOT, 'docs', 'install-pi.md'), 'usr/share/doc/dmconfirm/install-pi.md');

  const arch = run('dpkg', ['--print-architecture']).trim();
  const control = join(root, 'DEBIAN');
  mkdirSync(control);
  for (const script of ['postinst', 'prerm', 'postrm']) place(join(PACKAGING, script), `DEBIAN/${script}`, 0o755);
  writeFileSync(join(control, 'conffiles'), '/etc/dmconfirm/agent.example.yaml\n');
  const installedKb = Number(run('du', ['-sk', '--exclude=DEBIAN', root]).split('\t')[0]);
  const node = /^>=\s*(\d+(\.\d+)*)/.exec(pkg.engines.node)?.[1] ?? '20';
  writeFileSync(
    join(control, 'control'),
    [
      'Package: dmconfirm',
      `Version: ${pkg.version}`,
      `Architecture: ${arch}`,
      'Maintainer: dmconfirm maintainers <dmconfirm@localhost>',
      `Installed-Size: ${installedKb}`,
      `Depends: nodejs (>= ${node})`,
      'Recommends: gpiod',
      'Section: admin',
      'Priority: optional',
      `Description: ${pkg.description}`,
      ' A daemon for a Raspberry Pi next to a MikroTik router: after a signed (M-of-N) approval',
      " arrives over MQTT it presses the router's mode button or cycles its power, then verifies",
      ' the router came back with exactly the approved device-mode. Also the operator CLI.',
      ' The package never starts the agent: configure /etc/dmconfirm/agent.yaml first.',
      '',
    ].join('\n'),
  );

  // Directories 0755, files 0644 unless executable already; owned by root in the archive.
  const normalize = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) {
        chmodSync(path, 0o755);
        normalize(path);
      } else {
        chmodSync(path, st.mode & 0o111 ? 0o755 : 0o644);
      }
    }
  };
  normalize(join(root, 'opt'));

  mkdirSync(out, { recursive: true });
  const deb = join(out, `dmconfirm_${pkg.version}_${arch}.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(deb);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
