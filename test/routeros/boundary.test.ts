// Only src/routeros/node-routeros.ts may touch node-routeros: its internals are reached there and nowhere
// else, and its defects are neutralised by the session (connection.ts) on top of that one adapter.
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

const ADAPTER = join('src', 'routeros', 'node-routeros.ts');

void test('no file but the adapter imports node-routeros', () => {
  const offenders = sources('src')
    .filter((f) => f !== ADAPTER)
    .filter((f) =>
      /from\s+['"]node-routeros['"]|require\(\s*['"]node-routeros['"]\s*\)|import\(\s*['"]node-routeros['"]/.test(
        readFileSync(f, 'utf8'),
      ),
    );
  assert.deepEqual(offenders, []);
  // The check itself sees the one legitimate import.
  assert.match(readFileSync(ADAPTER, 'utf8'), /from 'node-routeros'/);
});

void test('no file but the adapter reaches into node-routeros internals', () => {
  const internals = /\bconnector\b[^\n]*\b(receiver|processRawData)\b|\bnew Channel\(|\bRouterOSAPI\b/;
  const offenders = sources('src').filter((f) => f !== ADAPTER && internals.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
  assert.match(readFileSync(ADAPTER, 'utf8'), internals);
});
