// The API manual's query language, getall, count-only and byte-transparent text, through real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery } from '../../src/sim/commands/query.js';
import { attrs, loginTo, startRouter } from './raw-client.js';

const rows: Array<Record<string, string>> = [
  { '.id': '*1', name: 'a', 'on-event': 'x', interval: '10' },
  { '.id': '*2', name: 'b', 'on-event': 'y', interval: '2' },
  { '.id': '*3', name: 'c', interval: '30', comment: 'note' },
];
const names = (q: string[]) =>
  rows
    .filter(compileQuery(q))
    .map((r) => r.name)
    .join('');

void test('every query form of the manual, one line each', () => {
  assert.equal(names([]), 'abc');
  assert.equal(names(['?comment']), 'c');
  assert.equal(names(['?-comment']), 'ab');
  assert.equal(names(['?name=b']), 'b');
  assert.equal(names(['?=name=b']), 'b');
  assert.equal(names(['?=on-event=']), 'c', 'an absent property equals the empty value');
  assert.equal(names(['?<interval=10']), 'b', 'numbers compare as numbers');
  assert.equal(names(['?>interval=2']), 'ac');
  assert.equal(names(['?>name=a']), 'bc', 'text compares as text');
  assert.equal(names(['?name=a', '?name=c', '?#|']), 'ac');
  assert.equal(names(['?name=a', '?name=c', '?#|!']), 'b', 'librouteros Not-In');
  assert.equal(names(['?name=a', '?#!']), 'bc', 'librouteros !=');
  assert.equal(names(['?>interval=5', '?comment', '?#&']), 'c');
  assert.equal(names(['?name=a', '?name=b', '?name=c', '?#||']), 'abc');
  assert.equal(names(['?name=a', '?#.!|']), 'abc', '. pushes a copy of the top');
  assert.equal(names(['?name=a', '?name=b', '?#1']), 'a', 'an index at the end replaces the stack');
  assert.equal(names(['?name=b', '?-comment', '?#1.|', '?#0']), 'ab', 'an index followed by . pushes a copy');
  assert.equal(names(['?name=a', '?name=b']), '', 'values left on the stack are ANDed');
  for (const bad of [['?#|'], ['?name=a', '?#5'], ['?name=a', '?#x'], ['?<name']]) {
    assert.throws(() => compileQuery(bad), /invalid query/, bad.join(' '));
  }
});

void test('print and getall take queries, .proplist and count-only on every list menu', async (t) => {
  const router = await startRouter(t, { deviceMode: { mode: 'advanced' } });
  const c = await loginTo(t, router);
  for (const n of ['a', 'b', 'c'])
    await c.call(['/system/scheduler/add', `=name=${n}`, `=interval=${n === 'b' ? '5s' : '1m'}`]);
  for (const verb of ['print', 'getall']) {
    const got = await c.call([`/system/scheduler/${verb}`, '=.proplist=name', '?name=a', '?name=c', '?#|']);
    assert.deepEqual(got, [['!re', '=name=a'], ['!re', '=name=c'], ['!done']], verb);
  }
  assert.deepEqual(await c.call(['/system/scheduler/print', '=count-only=', '?interval=1m']), [['!done', '=ret=2']]);
  assert.deepEqual(await c.call(['/system/scheduler/print', '=count-only=']), [['!done', '=ret=3']]);
  assert.equal(attrs((await c.call(['/system/routerboard/getall']))[0]).model, router.profile.model);
  assert.equal(attrs((await c.call(['/system/resource/getall', '=.proplist=version']))[0]).version, '7.22 (stable)');
  assert.deepEqual(await c.call(['/system/scheduler/print', '?#&']), [
    ['!trap', '=category=1', '=message=invalid query ?#&: stack is empty'],
    ['!done'],
  ]);
  assert.deepEqual(await c.call(['/system/nothing/getall']), [['!trap', '=message=no such command prefix'], ['!done']]);
});

void test('identity text round-trips byte for byte, UTF-8 or cp1252, and shows as UTF-8', async (t) => {
  const router = await startRouter(t, { identity: 'Zürich-β' });
  const c = await loginTo(t, router);
  assert.equal(router.state().identity, 'Zürich-β');
  // The raw client speaks UTF-8: the identity set in the CLI comes back as the same text.
  assert.equal(attrs((await c.call(['/system/identity/print']))[0]).name, 'Zürich-β');
  await c.call(['/system/identity/set', '=name=Łódź ✓']);
  assert.equal(router.state().identity, 'Łódź ✓');
  assert.equal(attrs((await c.call(['/system/identity/getall']))[0]).name, 'Łódź ✓');
  // A cp1252 client's bytes (é = 0xE9, not UTF-8) come back unchanged, as RouterOS keeps bytes.
  const word = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
  c.socket.write(
    Buffer.concat([
      word(Buffer.from('/system/identity/set')),
      word(Buffer.from('=name=Caf\xe9', 'latin1')),
      word(Buffer.from('.tag=9')),
      Buffer.from([0]),
    ]),
  );
  await c.until((s) => s.some((w) => w[0] === '!done' && w.includes('.tag=9')));
  assert.equal(router.state().identity, 'Café', 'not UTF-8: shown byte by byte as Latin-1');
  const raw = await new Promise<Buffer>((resolve) => {
    c.socket.once('data', (chunk: Buffer) => resolve(chunk));
    c.send(['/system/identity/print', '.tag=p']);
  });
  assert.ok(raw.includes(Buffer.from([0x43, 0x61, 0x66, 0xe9])), raw.toString('hex'));
});
