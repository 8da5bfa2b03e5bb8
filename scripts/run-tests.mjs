// Runs every test file under test/ with node's own runner (through tsx), on Node 20+.
// Node 20 takes no globs after --test, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { missingLine, missingPackages, TEST_PATH } from './preflight.mjs';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const missing = missingPackages();
if (missing.length > 0) {
  console.error(missingLine(missing));
  process.exit(1);
}

const filter = process.argv.slice(2);
const files = find('test')
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Per file: the default fits npm test; the long fuzz run (npm run fuzz) needs more.
const timeoutMs = process.env.TEST_TIMEOUT_MS ?? '600000';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...files],
  { stdio: 'inherit', env: { ...process.env, PATH: TEST_PATH } },
);
process.exit(result.status ?? 1);
