import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { attrs, loginTo, startRouter } from './raw-client.js';

void test('a PoE switch port powers a router: print, set, monitor once, power-cycle applies a change', async (t) => {
  const sw = await startRouter(t, { model: 'CRS328-24P', timing: { minOffMs: 3000 } });
  const router = await startRouter(t, { model: 'hAP-ac2', timing: { minOffMs: 3000 } });
  sw.poe!.attach('ether5', router);
  const admin = await loginTo(t, sw);

  const ports = await admin.call(['/interface/ethernet/poe/print']);
  assert.equal(ports.filter((s) => s[0] === '!re').length, 24);
  assert.equal(attrs(ports[4])['poe-out'], 'auto-on');
  const monitor = async () =>
    attrs((await admin.call(['/interface/ethernet/poe/monitor', '=numbers=ether5', '=once=']))[0])['poe-out-status'];
  assert.equal(await monitor(), 'powered-on');
  assert.equal(
    attrs((await admin.call(['/interface/ethernet/poe/monitor', '=numbers=ether6', '=once=']))[0])['poe-out-status'],
    'waiting-for-load',
  );

  // poe-out=off really powers the router off, auto-on brings it back.
  assert.deepEqual(await admin.call(['/interface/ethernet/poe/set', '=numbers=ether5', '=poe-out=off']), [['!done']]);
  assert.equal(router.powered, false);
  assert.equal(await monitor(), 'off');
  const bootedAgain = once(router, 'booted');
  await admin.call(['/interface/ethernet/poe/set', '=numbers=ether5', '=poe-out=auto-on']);
  await bootedAgain;

  // A pending change, then a 5 s power-cycle: the router comes back changed.
  const c = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  c.send(['/system/device-mode/update', '=mode=advanced', '=activation-timeout=1d', '.tag=u']);
  await requested;
  const powerLost = once(router, 'power');
  assert.deepEqual(await admin.call(['/interface/ethernet/poe/power-cycle', '=numbers=ether5', '=duration=5s']), [
    ['!done'],
  ]);
  await powerLost;
  assert.equal(await monitor(), 'power-cycle');
  await c.waitClosed();
  await once(router, 'booted');
  const fresh = await loginTo(t, router);
  const row = attrs((await fresh.call(['/system/device-mode/print']))[0]);
  assert.equal(row.mode, 'advanced');
  assert.equal(row['attempt-count'], '0');
  assert.equal(await monitor(), 'powered-on');
});

void test('bad PoE input is refused; a switch losing power takes its powered devices down', async (t) => {
  const sw = await startRouter(t, { model: 'CRS328-24P' });
  const router = await startRouter(t);
  sw.poe!.attach('ether1', router);
  const admin = await loginTo(t, sw);
  assert.match(
    attrs((await admin.call(['/interface/ethernet/poe/set', '=numbers=ether5', '=poe-out=sometimes']))[0]).message ??
      '',
    /poe-out/,
  );
  assert.match(
    attrs((await admin.call(['/interface/ethernet/poe/set', '=numbers=ether99', '=poe-out=off']))[0]).message ?? '',
    /no such item/,
  );
  assert.match(
    attrs((await admin.call(['/interface/ethernet/poe/power-cycle', '=numbers=ether5', '=duration=later']))[0])
      .message ?? '',
    /duration/,
  );
  sw.setPower(false);
  assert.equal(router.powered, false);
  const booted = once(router, 'booted');
  sw.setPower(true);
  assert.equal(router.powered, true);
  await booted;
  // A router without PoE has no such menu.
  const again = await loginTo(t, router);
  assert.deepEqual(await again.call(['/interface/ethernet/poe/print']), [
    ['!trap', '=message=no such command prefix'],
    ['!done'],
  ]);
});
