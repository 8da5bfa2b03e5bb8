// The simulator's parts depend on narrow interfaces (SessionHost, CommandDevice, PhysicalControls,
// StateSource, PoeHost), not on SimulatedRouter: only the composition (index, fleet) imports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SIM = 'src/sim';
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

void test('no part of the simulator imports the router but its composition', () => {
  const importers = files(SIM).filter((f) => /from '\.{1,2}\/(\.\.\/)*router\.js'/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(importers.sort(), [join(SIM, 'fleet.ts'), join(SIM, 'index.ts')]);
});
