// Issue 10, item 11: one vocabulary of reasons. Every code the source can emit is listed in
// the contract (src/mqtt/contract.ts), and the contract's answer and event schemas accept
// no other code, so an agent emitting an unlisted code fails every test that reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALARM_CODES, errorInfoSchema, eventSchema, REASON_CODES, REFUSAL_CODES } from '../../src/mqtt/contract.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Literal codes in the source: refuse('x'), code: 'x', reason: 'x' (of a refusal), and `prefix-${...}` templates. */
function emittedCodes(): Array<{ code: string; where: string; prefix?: true }> {
  const found: Array<{ code: string; where: string; prefix?: true }> = [];
  const patterns: Array<[RegExp, boolean]> = [
    [/\brefuse\(\s*'([a-z0-9-]+)'/g, false],
    [/\bcode: '([a-z0-9-]+)'/g, false],
    [/\bok: false, reason: '([a-z0-9-]+)'/g, false],
    [/\breason: '([a-z0-9-]+)'; detail/g, false],
    [/\bcode: `([a-z0-9-]+-)\$\{/g, true],
  ];
  for (const file of sources(SRC)) {
    // The simulator and router client speak RouterOS, the configuration loader zod: not our contract.
    if (['sim', 'routeros', 'config'].some((dir) => file.startsWith(join(SRC, dir)))) continue;
    const text = readFileSync(file, 'utf8');
    for (const [pattern, prefix] of patterns) {
      for (const m of text.matchAll(pattern))
        found.push({ code: m[1]!, where: file.slice(SRC.length + 1), ...(prefix ? { prefix: true as const } : {}) });
    }
  }
  return found;
}

void test('every code the source emits is in the contract', () => {
  const codes = emittedCodes();
  assert.ok(codes.length > 40, `the scan found too few codes (${codes.length}); is the pattern still right?`);
  const known = new Set<string>(REASON_CODES);
  const unknown = codes.filter(({ code, prefix }) =>
    prefix ? !REASON_CODES.some((c) => c.startsWith(code)) : !known.has(code),
  );
  assert.deepEqual(unknown, [], 'codes emitted but not listed in src/mqtt/reason-codes.ts');
});

void test('refusal and alarm codes are part of the vocabulary; answers and events refuse anything else', () => {
  for (const code of [...REFUSAL_CODES, ...ALARM_CODES])
    assert.ok((REASON_CODES as readonly string[]).includes(code), code);
  assert.equal(new Set(REASON_CODES).size, REASON_CODES.length);
  assert.equal(errorInfoSchema.safeParse({ code: 'requester-unknown', message: 'x' }).success, true);
  assert.equal(errorInfoSchema.safeParse({ code: 'made-up-code', message: 'x' }).success, false);
  const event = { v: 1, at: 'now', type: 'alarm', severity: 'critical', message: 'm' };
  assert.equal(eventSchema.safeParse({ ...event, code: 'device-mode-mismatch' }).success, true);
  assert.equal(eventSchema.safeParse({ ...event, code: 'operation-failed' }).success, true);
  assert.equal(eventSchema.safeParse({ ...event, code: 'Device-Mode-Mismatch' }).success, false);
});

void test('the trust model docs name every refusal code', () => {
  const docs = ['docs/trust-model.md', 'README.md']
    .map((p) => fileURLToPath(new URL(`../../${p}`, import.meta.url)))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    })
    .map((p) => readFileSync(p, 'utf8'))
    .join('\n');
  const missing = REFUSAL_CODES.filter((code) => !docs.includes(`\`${code}\``));
  assert.deepEqual(missing, [], 'refusal codes the docs do not explain');
});
