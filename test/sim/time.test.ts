import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/sim/time.js';
import { versionAtLeast } from '../../src/sim/profiles.js';

void test('a scaled clock runs simulated time faster and rejects nonsense scales', async () => {
  const clock = new SimClock(0.01);
  const start = clock.now();
  await clock.sleep(2000); // 20 ms real
  assert.ok(clock.now() - start >= 1900);
  assert.throws(() => new SimClock(0));
  let fired = false;
  clock.setTimeout(() => {
    fired = true;
  }, 1000);
  clock.clearAll();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fired, false);
});

void test('version comparison', () => {
  assert.ok(versionAtLeast('7.22', '7.18'));
  assert.ok(versionAtLeast('7.18', '7.18'));
  assert.ok(!versionAtLeast('7.9', '7.18'));
  assert.ok(!versionAtLeast('6.49.8', '7.17'));
  assert.ok(versionAtLeast('7.18.1', '7.18'));
});
