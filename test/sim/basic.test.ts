import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedRouter } from '../../src/sim/index.js';
import { attrs, RawClient } from './raw-client.js';

void test('login, then identity, resource, routerboard and device-mode print', async (t) => {
  const router = new SimulatedRouter({
    model: 'hAP-ax3',
    password: 'pw',
    identity: 'site-7',
    serialNumber: 'HF123',
    controlPort: false,
  });
  await router.start();
  t.after(() => router.stop());
  const c = await RawClient.login(router.apiPort, 'admin', 'pw');
  t.after(() => c.close());

  assert.deepEqual(await c.call(['/system/identity/print']), [['!re', '=name=site-7'], ['!done']]);
  const [res] = await c.call(['/system/resource/print']);
  assert.equal(attrs(res)['board-name'], 'hAP ax^3');
  assert.match(attrs(res).version ?? '', /^7\.22/);
  assert.match(attrs(res).uptime ?? '', /^\d+s$/);
  const [rb] = await c.call(['/system/routerboard/print']);
  assert.equal(attrs(rb)['serial-number'], 'HF123');
  assert.equal(attrs(rb).model, 'C53UiG+5HPaxD2HPaxD');
  const [dm, done] = await c.call(['/system/device-mode/print']);
  assert.equal(done?.[0], '!done');
  assert.equal(attrs(dm).mode, 'home');
  assert.equal(attrs(dm).scheduler, 'false');
  assert.equal(attrs(dm)['attempt-count'], '0');
});

void test('wrong password gets the RouterOS error and nothing works before login', async (t) => {
  const router = new SimulatedRouter({ password: 'right', controlPort: false });
  await router.start();
  t.after(() => router.stop());
  const c = await RawClient.open(router.apiPort);
  t.after(() => c.close());
  assert.deepEqual(await c.call(['/system/identity/print']), [['!trap', '=message=not logged in'], ['!done']]);
  assert.deepEqual(await c.call(['/login', '=name=admin', '=password=wrong']), [
    ['!trap', '=message=invalid user name or password (6)'],
    ['!done'],
  ]);
  assert.deepEqual(await c.call(['/login', '=name=admin', '=password=right']), [['!done']]);
  assert.equal((await c.call(['/system/identity/print']))[0]?.[0], '!re');
});
