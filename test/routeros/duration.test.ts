import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRosDuration, parseRosDuration } from '../../src/routeros/duration.js';

void test('RouterOS durations parse in every documented spelling, in milliseconds, and reject the rest', () => {
  const ok: Array<[string, number]> = [
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['00:05:00', 300_000],
    ['1d00:00:00', 86_400_000],
    ['00:00:10.5', 10_500],
    ['90', 90_000],
    ['1w2d3h4m5s', (604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1000],
    ['45s', 45_000],
    ['0s', 0],
    ['3m10s500ms', 190_500],
    ['02:03:04', 7_384_000],
    ['1d02:03:04', (86_400 + 7384) * 1000],
    ['12', 12_000],
  ];
  for (const [text, ms] of ok) assert.equal(parseRosDuration(text), ms, text);
  for (const bad of ['', 'soon', '5x', '1:2', 'm5', '-5s', '5 m', '1h 2m', '-1s'])
    assert.equal(parseRosDuration(bad), undefined, bad);
});

void test('uptimes format like RouterOS', () => {
  assert.equal(formatRosDuration(0), '0s');
  assert.equal(formatRosDuration(999), '0s');
  assert.equal(formatRosDuration(61_000), '1m1s');
  assert.equal(formatRosDuration(((7 + 2) * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1000), '1w2d3h4m5s');
});
