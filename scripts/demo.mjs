// `npm run demo`: builds dist/ when any source is newer than the last good build, then
// runs the compiled CLI (`dmconfirm demo`, what production runs). Skipping an up-to-date
// build saves a full tsc run on every demo.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-ok';
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
}

function builtAt() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return 0;
  }
}

const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;

if (INPUTS.some((path) => newest(path) > builtAt())) {
  // Stamped with the time the build began: a file saved while tsc runs still counts as newer.
  const began = new Date();
  const built = run([
    'node_modules/typescript/bin/tsc',
    '-p',
    'tsconfig.build.json',
    '--incremental',
    '--tsBuildInfoFile',
    'dist/.tsbuildinfo',
  ]);
  if (built !== 0) {
    console.error('demo: the build failed (see above)');
    process.exit(built);
  }
  writeFileSync(STAMP, `${began.toISOString()}\n`);
  utimesSync(STAMP, began, began);
}
process.exit(run(['dist/cli/main.js', 'demo', ...process.argv.slice(2)]));
