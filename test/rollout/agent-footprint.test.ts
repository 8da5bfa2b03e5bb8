// Issue 12: the idle agent must not grow with the campaign machinery. The campaign code is
// loaded on the first campaign order only (a dynamic import); this walks the static imports
// of the daemon's entry points and checks that none reaches src/trust/campaign or src/rollout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // `import ... from '...'` and `export ... from '...'`, not type-only ones and not `import('...')`.
  const specs = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => m[1]!);
  return specs.map((s) => join(dirname(file), s.replace(/\.js$/, '.ts'))).filter((p) => existsSync(p));
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...staticImports(file));
  }
  return seen;
}

void test('the daemon loads no campaign or rollout module until a campaign order arrives', () => {
  const files = [
    ...reachable(join(SRC, 'cli', 'commands', 'agent.ts')),
    ...reachable(join(SRC, 'agent', 'launcher.ts')),
  ].map((f) => relative(SRC, f));
  assert.ok(
    files.includes(join('agent', 'inbound.ts')) && files.includes(join('trust', 'trust-gate.ts')),
    'the walk reaches the agent',
  );
  assert.deepEqual(
    files.filter((f) => /^(trust\/campaign|rollout)\//.test(f)),
    [],
  );
});
