import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports (static or dynamic), resolved to a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) => relative(SRC, resolve(dirname(file), spec)));
}

// The CLI sits on top: the daemon and the libraries it uses (trust, agent, mqtt, audit, ...) never
// depend on it, so a change to a command's wording cannot change what the agent accepts.
void test('nothing outside src/cli imports src/cli', () => {
  const offending = sources(SRC)
    .filter((file) => !relative(SRC, file).startsWith('cli/'))
    .flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('cli/'))
        .map((target) => `${relative(SRC, file)} -> ${target}`),
    );
  assert.deepEqual(offending, []);
});
