// The security-key counter memory: must rise per key, survives restarts, written atomically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkCounterStore } from '../../src/trust/ssh/sk-counters.js';
import { tempDir } from './fixtures.js';

const A = 'SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ev = (fingerprint: string, counter: number) => ({
  fingerprint,
  counter,
  flags: 1,
  assertion: `${fingerprint}#${counter}`,
});

void test('a counter must rise above the last accepted one, per key; replayed and lower ones are refused', async () => {
  const store = new SkCounterStore();
  store.check(ev(A, 0), 'sig');
  await store.advance([ev(A, 5)]);
  assert.throws(() => store.check(ev(A, 5), 'signature 2'), {
    reason: 'sk-counter-replayed',
    message: /signature 2: .*counter 5 is not above 5/,
  });
  assert.throws(() => store.check(ev(A, 4), 'sig'), { reason: 'sk-counter-replayed' });
  store.check(ev(A, 6), 'sig');
  store.check(ev(B, 1), 'sig');
  await assert.rejects(store.advance([ev(A, 5)]), { reason: 'sk-counter-replayed' });
  assert.equal(store.last(A), 5);
  await store.advance([ev(A, 0xffffffff), ev(B, 3)]);
  assert.equal(store.last(A), 0xffffffff);
  assert.equal(store.last(B), 3);
});

void test('counters survive a restart (atomic JSON file, 0600, no temp file left)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'state', 'sk-counters.json');
  const first = new SkCounterStore(path);
  await first.load();
  await first.advance([ev(A, 10), ev(B, 2)]);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(dir, 'state')), ['sk-counters.json']);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { v: 1, counters: { [A]: 10, [B]: 2 } });
  const second = new SkCounterStore(path);
  await second.load();
  assert.throws(() => second.check(ev(A, 10), 'sig'), { reason: 'sk-counter-replayed' });
  second.check(ev(A, 11), 'sig');
  assert.equal(second.last(B), 2);
});

void test('two messages with the same counter verified at once: only one advances', async () => {
  const store = new SkCounterStore();
  const results = await Promise.allSettled([store.advance([ev(A, 7)]), store.advance([ev(A, 7)])]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(store.last(A), 7);
});

void test('a failed write changes nothing in memory; a corrupt counter file is an error, not empty', async (t) => {
  const dir = tempDir(t);
  const blocked = join(dir, 'file');
  writeFileSync(blocked, 'not a directory');
  const store = new SkCounterStore(join(blocked, 'sk-counters.json'));
  await assert.rejects(store.advance([ev(A, 3)]));
  assert.equal(store.last(A), undefined);
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, JSON.stringify({ v: 1, counters: { [A]: -1 } }));
  await assert.rejects(new SkCounterStore(corrupt).load(), /not a uint32/);
  writeFileSync(corrupt, '{');
  await assert.rejects(new SkCounterStore(corrupt).load());
});

void test('a kept (campaign) signature passes again until its end, then is dropped; another must rise', async (t) => {
  const path = join(tempDir(t), 'sk-counters.json');
  const store = new SkCounterStore(path);
  await store.load();
  const campaign = { ...ev(A, 5), keepUntil: 2000 };
  await store.advance([campaign], 1000);
  await store.advance([ev(A, 6)], 1100);
  await store.advance([campaign], 1200);
  assert.equal(store.last(A), 6);
  await assert.rejects(store.advance([{ ...ev(A, 5), assertion: 'cloned' }], 1300), { reason: 'sk-counter-replayed' });
  const restarted = new SkCounterStore(path);
  await restarted.load();
  assert.equal(restarted.isKept(campaign, 2000), true);
  await assert.rejects(restarted.advance([campaign], 2001), { reason: 'sk-counter-replayed' });
  await restarted.advance([ev(B, 1)], 2001);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { v: 1, counters: { [A]: 6, [B]: 1 } });
});
