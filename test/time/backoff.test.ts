import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffDelay } from '../../src/time/backoff.js';

const nextBackoffMs = (retry: number, initialMs: number, maxMs: number, random: () => number) =>
  backoffDelay(retry, { initialMs, maxMs }, random);

void test('backoff doubles from the minimum and stops at the maximum', () => {
  const top = () => 1;
  assert.equal(nextBackoffMs(0, 1000, 30_000, top), 1000);
  assert.equal(nextBackoffMs(1, 1000, 30_000, top), 2000);
  assert.equal(nextBackoffMs(3, 1000, 30_000, top), 8000);
  assert.equal(nextBackoffMs(50, 1000, 30_000, top), 30_000);
  assert.equal(
    nextBackoffMs(2, 1000, 30_000, () => 0),
    2000,
  );
});

void test('backoff with jitter stays within [half, full] of the capped delay', () => {
  fc.assert(
    fc.property(
      fc.nat(100),
      fc.integer({ min: 100, max: 60_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (attempt, min, r) => {
        const max = min * 10;
        const cap = Math.min(max, min * 2 ** Math.min(attempt, 30));
        const d = nextBackoffMs(attempt, min, max, () => r);
        return d >= Math.floor(cap / 2) && d <= cap;
      },
    ),
  );
});

void test('backoff grows by its factor, is capped, and jitters within [ceiling/2, ceiling]', () => {
  const options = { initialMs: 100, maxMs: 1000, factor: 2 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 1)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.deepEqual(
    [0, 1, 2].map((n) => backoffDelay(n, options, () => 0)),
    [50, 100, 200],
  );
  assert.deepEqual(
    [0, 1, 2].map((n) => backoffDelay(n, { initialMs: 10, maxMs: 10_000, factor: 3 }, () => 1)),
    [10, 30, 90],
  );
});
