import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRosDuration, parseRosDuration, SimClock } from '../../src/sim/time.js';
import { versionAtLeast } from '../../src/sim/profiles.js';

void test('RouterOS durations parse in every documented spelling and reject the rest', () => {
  const ok: Array<[string, number]> = [
    ['10s', 10_000], ['5m', 300_000], ['1h', 3_600_000], ['1d', 86_400_000], ['1w', 604_800_000], ['1h30m', 5_400_000],
    ['500ms', 500], ['00:05:00', 300_000], ['1d00:00:00', 86_400_000], ['00:00:10.5', 10_500], ['90', 90_000],
  ];
  for (const [text, ms] of ok) assert.equal(parseRosDuration(text), ms, text);
  for (const bad of ['', 'soon', '5x', '1:2', 'm5', '-5s', '5 m']) assert.equal(parseRosDuration(bad), undefined, bad);
});

void test('uptimes format like RouterOS', () => {
  assert.equal(formatRosDuration(0), '0s');
  assert.equal(formatRosDuration(999), '0s');
  assert.equal(formatRosDuration(61_000), '1m1s');
  assert.equal(formatRosDuration(((7 + 2) * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1000), '1w2d3h4m5s');
});

void test('a scaled clock runs simulated time faster and rejects nonsense scales', async () => {
  const clock = new SimClock(0.01);
  const start = clock.now();
  await clock.sleep(2000); // 20 ms real
  assert.ok(clock.now() - start >= 1900);
  assert.throws(() => new SimClock(0));
  let fired = false;
  clock.setTimeout(() => { fired = true; }, 1000);
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
