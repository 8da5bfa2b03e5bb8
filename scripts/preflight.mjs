// First step of `npm test` (and of scripts/run-tests.mjs): are the system tools the tests need
// installed? They are listed once, in scripts/test-deps.list. When one is missing this stops
// at once with one line naming the install command, instead of failing test by test.
//   node scripts/preflight.mjs            exit 1 with that line if anything is missing
//   node scripts/preflight.mjs --missing  print the missing packages' names (for the installer)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..');
export const INSTALL_COMMAND = 'scripts/install-test-deps.sh';
/** Debian keeps daemons such as mosquitto in sbin, which a normal user's PATH lacks. */
export const TEST_PATH = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin'].join(delimiter);

export function readDeps(text = readFileSync(join(ROOT, 'scripts', 'test-deps.list'), 'utf8')) {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const [pkg, check] = line.split(/\s+/);
      return { pkg, check: check ?? pkg };
    });
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An absolute path whose segments may hold `*`. */
function pathExists(pattern) {
  let found = ['/'];
  for (const part of pattern.split('/').filter(Boolean)) {
    const re = new RegExp(`^${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    found = found.flatMap((dir) => {
      try {
        return readdirSync(dir)
          .filter((name) => re.test(name))
          .map((name) => join(dir, name));
      } catch {
        return [];
      }
    });
  }
  return found.length > 0;
}

export function installed({ check }, path = TEST_PATH) {
  if (check.startsWith('/')) return pathExists(check);
  if (check.startsWith('python3:')) {
    // Debian's python3 packages install for /usr/bin/python3, whatever python3 PATH finds first.
    return (
      spawnSync('/usr/bin/python3', ['-c', `import ${check.slice(8)}`], {
        stdio: 'ignore',
        env: { ...process.env, PATH: path },
      }).status === 0
    );
  }
  return path.split(delimiter).some((dir) => dir !== '' && executable(join(dir, check)));
}

/** The one line printed when something is missing. */
export function missingLine(missing) {
  return `npm test needs ${missing.join(', ')} (not installed); install them with: ${INSTALL_COMMAND}`;
}

export function missingPackages(path = TEST_PATH) {
  return readDeps()
    .filter((dep) => !installed(dep, path))
    .map((dep) => dep.pkg);
}

if (process.argv[1] === SELF) {
  const missing = missingPackages();
  if (process.argv.includes('--missing')) {
    console.log(missing.join(' '));
  } else if (missing.length > 0) {
    console.error(missingLine(missing));
    process.exit(1);
  }
}
