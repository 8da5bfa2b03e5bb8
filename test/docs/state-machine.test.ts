import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertTransition, OPERATION_STATES } from '../../src/agent/operation-state.js';

// The README's picture of the operation state machine must show exactly the legal transitions.
const svg = await readFile(join(import.meta.dirname, '..', '..', 'docs', 'state-machine.svg'), 'utf8');

function legal(from: string, to: string): boolean {
  try {
    assertTransition(from as never, to as never);
    return true;
  } catch {
    return false;
  }
}

void test('docs/state-machine.svg draws every state once', () => {
  const drawn = [...svg.matchAll(/data-state="([^"]+)"/g)].map((m) => m[1]).sort();
  assert.deepEqual(drawn, [...OPERATION_STATES].sort());
});

void test('docs/state-machine.svg draws exactly the transitions of operation-state.ts', () => {
  const drawn = [...svg.matchAll(/data-from="([^"]+)" data-to="([^"]+)"/g)].map((m) => `${m[1]} → ${m[2]}`).sort();
  const expected = OPERATION_STATES.flatMap((from) =>
    OPERATION_STATES.filter((to) => legal(from, to)).map((to) => `${from} → ${to}`),
  ).sort();
  assert.deepEqual(drawn, expected);
});
