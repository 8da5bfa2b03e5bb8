// Only src/routeros may touch node-routeros: its defects are neutralised there and nowhere else.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

void test('no file outside src/routeros imports node-routeros', () => {
  const offenders = sources('src')
    .filter((f) => !f.startsWith(join('src', 'routeros')))
    .filter((f) => /from\s+['"]node-routeros['"]|require\(\s*['"]node-routeros['"]\s*\)|import\(\s*['"]node-routeros['"]/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
  // The check itself sees the one legitimate import.
  assert.match(readFileSync(join('src', 'routeros', 'connection.ts'), 'utf8'), /from 'node-routeros'/);
});
