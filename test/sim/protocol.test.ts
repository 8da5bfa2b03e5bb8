import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { attrs, loginTo, RawClient, startRouter } from './raw-client.js';

void test('identity names at every word-length boundary come back intact', async (t) => {
  const c = await loginTo(t, await startRouter(t));
  // "=name=" is 6 bytes: these totals hit 0x7F/0x80, 0x3FFF/0x4000 and 0x1FFFFF/0x200000.
  for (const total of [0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000]) {
    const name = 'n'.repeat(total - 6);
    assert.deepEqual(await c.call(['/system/identity/set', `=name=${name}`]), [['!done']]);
    const [row] = await c.call(['/system/identity/print']);
    assert.equal(row?.[1]?.length, total);
    assert.equal(attrs(row).name, name);
  }
});

void test('concurrent sessions and tagged commands interleave; replies carry their tags', async (t) => {
  const router = await startRouter(t);
  const clients = await Promise.all(Array.from({ length: 8 }, () => loginTo(t, router)));
  await Promise.all(
    clients.map(async (c, i) => {
      c.send(['/system/identity/print', `.tag=a${i}`]);
      c.send(['/system/resource/print', `.tag=b${i}`]);
      await c.until(
        () => c.tagged(`a${i}`).some((s) => s[0] === '!done') && c.tagged(`b${i}`).some((s) => s[0] === '!done'),
      );
      assert.deepEqual(c.tagged(`a${i}`), [
        ['!re', `.tag=a${i}`, '=name=MikroTik'],
        ['!done', `.tag=a${i}`],
      ]);
    }),
  );
});

void test('/cancel interrupts a tagged command: its !trap category 2, then both !done', async (t) => {
  const router = await startRouter(t, { model: 'CRS328-24P' });
  const c = await loginTo(t, router);
  c.send(['/interface/ethernet/poe/monitor', '=numbers=ether5', '.tag=mon']);
  await c.until(() => c.tagged('mon').length >= 2);
  c.send(['/cancel', '=tag=mon', '.tag=can']);
  await c.until(() => c.tagged('can').some((s) => s[0] === '!done'));
  const after = c.sentences.slice(c.sentences.findIndex((s) => s[0] === '!trap'));
  assert.deepEqual(after, [
    ['!trap', '.tag=mon', '=category=2', '=message=interrupted'],
    ['!done', '.tag=mon'],
    ['!done', '.tag=can'],
  ]);
  assert.deepEqual(await c.call(['/cancel', '=tag=nothing']), [['!done']], 'nothing to cancel is not an error');
});

void test('!empty then !done for no data on 7.18+, only !done on 7.17', async (t) => {
  const newer = await loginTo(t, await startRouter(t, { routerosVersion: '7.18' }));
  assert.deepEqual(await newer.call(['/system/scheduler/print']), [['!empty'], ['!done']]);
  assert.deepEqual(
    await newer.call(['/system/identity/set', '=name=x']),
    [['!done']],
    'set has no data to be empty of',
  );
  const older = await loginTo(t, await startRouter(t, { routerosVersion: '7.17' }));
  assert.deepEqual(await older.call(['/system/scheduler/print']), [['!done']]);
});

void test('unknown commands trap like RouterOS; queries and .proplist filter print', async (t) => {
  const c = await loginTo(t, await startRouter(t, { model: 'CHR' }));
  assert.deepEqual(await c.call(['/nope/print']), [['!trap', '=message=no such command prefix'], ['!done']]);
  assert.deepEqual(await c.call(['/system/frobnicate']), [['!trap', '=message=no such command'], ['!done']]);
  assert.deepEqual(
    await c.call(['/system/routerboard/print']),
    [['!trap', '=message=no such command prefix'], ['!done']],
    'CHR has no routerboard',
  );
  const [lic] = await c.call(['/system/license/print']);
  assert.ok((attrs(lic)['system-id'] ?? '').length > 5);
  assert.deepEqual(await c.call(['/system/resource/print', '=.proplist=board-name,architecture-name']), [
    ['!re', '=architecture-name=x86_64', '=board-name=CHR'],
    ['!done'],
  ]);
  assert.deepEqual(await c.call(['/system/identity/print', '?name=other']), [['!empty'], ['!done']]);
});

void test('/quit and malformed input end the session with !fatal', async (t) => {
  const router = await startRouter(t);
  const c = await loginTo(t, router);
  c.send(['/quit']);
  await c.waitClosed();
  assert.deepEqual(c.sentences.at(-1), ['!fatal', 'session terminated on request']);
  const bad = await RawClient.open(router.apiPort);
  t.after(() => bad.close());
  bad.socket.write(Buffer.from([0xf8, 1, 2, 3, 4]));
  await bad.waitClosed();
  assert.equal(bad.sentences[0]?.[0], '!fatal');
});

void test('api-ssl: TLS with a self-signed certificate pinned by SHA-256 fingerprint', async (t) => {
  const router = await startRouter(t, { tls: true });
  const pin = router.tlsFingerprint256;
  assert.match(pin ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  // Self-signed: the chain cannot verify, so the client checks the pin itself.
  const c = await RawClient.open(router.apiSslPort, { rejectUnauthorized: false });
  t.after(() => c.close());
  assert.equal((c.socket as TLSSocket).getPeerCertificate().fingerprint256, pin);
  assert.deepEqual(await c.call(['/login', '=name=admin', '=password=']), [['!done']]);
  assert.equal((await c.call(['/system/identity/print']))[0]?.[0], '!re');
});

void test('split replies: sentences arrive cut across many TCP chunks and still decode', async (t) => {
  for (const splitReplies of ['bytes', 'random'] as const) {
    const c = await loginTo(t, await startRouter(t, { splitReplies }));
    const before = c.chunks;
    const reply = await c.call(['/system/device-mode/print']);
    assert.equal(attrs(reply[0]).mode, 'home');
    const bytes = reply.flat().join('').length;
    if (splitReplies === 'bytes')
      assert.ok(c.chunks - before > bytes / 4, `only ${c.chunks - before} chunks for ~${bytes} bytes`);
    else assert.ok(c.chunks - before >= 2);
  }
});

void test('progressWhilePending sends !re progress; stallOthersWhilePending stalls other sessions', async (t) => {
  const router = await startRouter(t, { progressWhilePending: true, stallOthersWhilePending: true });
  const requester = await loginTo(t, router);
  const other = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  // 2 min is 1.2 s here: long enough that a loaded machine still sees it pending.
  requester.send(['/system/device-mode/update', '=mode=basic', '=activation-timeout=2m', '.tag=u']);
  await requested;
  other.send(['/system/identity/print', '.tag=p']);
  await requester.until(() => requester.tagged('u').filter((s) => s[0] === '!re').length >= 2);
  assert.deepEqual(other.tagged('p'), [], 'stalled while pending');
  assert.match(attrs(requester.tagged('u')[0]).status ?? '', /waiting/);
  await requester.until(() => requester.tagged('u').some((s) => s[0] === '!done'));
  assert.deepEqual(
    requester.tagged('u').filter((s) => s[0] !== '!re'),
    [
      ['!trap', '.tag=u', '=message=update canceled'],
      ['!done', '.tag=u'],
    ],
  );
  await other.until(() => other.tagged('p').some((s) => s[0] === '!done'));
});

void test('without the options, other sessions keep answering and no progress is sent', async (t) => {
  const router = await startRouter(t);
  const requester = await loginTo(t, router);
  const other = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  requester.send(['/system/device-mode/update', '=mode=basic', '=activation-timeout=1d', '.tag=u']);
  await requested;
  assert.equal((await other.call(['/system/device-mode/print']))[0]?.[0], '!re');
  assert.deepEqual(requester.tagged('u'), []);
});

void test('abandoned updates: pending by default after /cancel; cancelled with abandonedUpdate=cancels', async (t) => {
  for (const abandonedUpdate of ['stays-pending', 'cancels'] as const) {
    const router = await startRouter(t, { abandonedUpdate });
    const c = await loginTo(t, router);
    const requested = once(router, 'update-requested');
    c.send(['/system/device-mode/update', '=mode=basic', '=activation-timeout=1d', '.tag=u']);
    await requested;
    await c.call(['/cancel', '=tag=u']);
    assert.deepEqual(
      c.tagged('u').map((s) => s[0]),
      ['!trap', '!done'],
    );
    assert.equal(router.state().pending !== null, abandonedUpdate === 'stays-pending', abandonedUpdate);
    c.close();
  }
});
