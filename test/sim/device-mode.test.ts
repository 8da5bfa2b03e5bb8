import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { attrs, loginTo, startRouter } from './raw-client.js';

const DM = '/system/device-mode';

void test('factory modes per model and version: home router, switch, CCR, RDS, CHR, pre-7.17', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['hAP-ax3', '7.22', 'home'],
    ['RB5009', '7.22', 'basic'],
    ['CCR2004', '7.22', 'advanced'],
    ['RDS2216', '7.22', 'rose'],
    ['CHR', '7.22', 'advanced'],
    ['hAP-ax3', '7.16', 'advanced'],
  ];
  for (const [model, routerosVersion, mode] of cases) {
    const router = await startRouter(t, { model, routerosVersion });
    const c = await loginTo(t, router);
    const [row] = await c.call([`${DM}/print`]);
    assert.equal(attrs(row).mode, mode, `${model} on ${routerosVersion}`);
  }
});

void test('print lists every documented field as strings; get returns one value in =ret=', async (t) => {
  const c = await loginTo(t, await startRouter(t, { model: 'RB5009' }));
  const row = attrs((await c.call([`${DM}/print`]))[0]);
  for (const key of [
    'mode',
    'allowed-versions',
    'flagged',
    'flagging-enabled',
    'scheduler',
    'socks',
    'fetch',
    'pptp',
    'l2tp',
    'bandwidth-test',
    'traffic-gen',
    'sniffer',
    'ipsec',
    'romon',
    'proxy',
    'hotspot',
    'smb',
    'email',
    'zerotier',
    'container',
    'install-any-version',
    'partitions',
    'routerboard',
    'attempt-count',
  ]) {
    assert.ok(key in row, `missing ${key}`);
  }
  assert.equal(row.socks, 'false');
  assert.equal(row.scheduler, 'true');
  assert.equal(row.flagged, 'false');
  assert.deepEqual(await c.call([`${DM}/get`, '=value-name=mode']), [['!done', '=ret=basic']]);
  assert.equal((await c.call([`${DM}/get`, '=value-name=nope']))[0]?.[0], '!trap');
});

void test('invalid updates fail at once without counting an attempt', async (t) => {
  const c = await loginTo(t, await startRouter(t));
  const bad: Array<[string[], RegExp]> = [
    [['=mode=turbo'], /input does not match any value of mode/],
    [['=colour=red'], /unknown parameter colour/],
    [['=scheduler=maybe'], /input does not match any value of scheduler/],
    [['=mode=advanced', '=activation-timeout=9s'], /out of range/],
    [['=mode=advanced', '=activation-timeout=1d1s'], /out of range/],
    [['=mode=advanced', '=activation-timeout=soon'], /activation-timeout/],
  ];
  for (const [args, message] of bad) {
    const reply = await c.call([`${DM}/update`, ...args], 5000);
    assert.equal(reply[0]?.[0], '!trap', args.join(' '));
    assert.match(attrs(reply[0]).message ?? '', message);
    assert.equal(reply[1]?.[0], '!done');
  }
  assert.equal(attrs((await c.call([`${DM}/print`]))[0])['attempt-count'], '0');
});

void test('an unconfirmed update blocks until its timeout, then "update canceled"; attempt-count rose', async (t) => {
  const router = await startRouter(t);
  const c = await loginTo(t, router);
  const other = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  const started = Date.now();
  const update = c.call([`${DM}/update`, '=mode=advanced', '=activation-timeout=10s']);
  await requested;
  assert.equal(attrs((await other.call([`${DM}/print`]))[0])['attempt-count'], '1');
  assert.equal(router.state().pending?.timeoutMs, 10_000);
  const reply = await update;
  assert.deepEqual(reply, [['!trap', '=message=update canceled'], ['!done']]);
  assert.ok(Date.now() - started >= 90, 'answered before the (scaled) timeout');
  const row = attrs((await other.call([`${DM}/print`]))[0]);
  assert.equal(row.mode, 'home');
  assert.equal(row['attempt-count'], '1');
});

void test('two updates at once cancel both', async (t) => {
  const router = await startRouter(t);
  const a = await loginTo(t, router);
  const b = await loginTo(t, router);
  const first = a.call([`${DM}/update`, '=mode=advanced', '=activation-timeout=1d']);
  await once(router, 'update-requested');
  const second = await b.call([`${DM}/update`, '=mode=basic', '=activation-timeout=1d']);
  assert.deepEqual(second, [['!trap', '=message=update canceled'], ['!done']]);
  assert.deepEqual(await first, [['!trap', '=message=update canceled'], ['!done']]);
  assert.equal(router.state().pending, null);
  assert.equal(router.deviceMode.attemptCount, 2);
});

void test('three unconfirmed attempts, then refused until a button press', async (t) => {
  const router = await startRouter(t);
  const c = await loginTo(t, router);
  for (let i = 0; i < 3; i++) {
    assert.equal((await c.call([`${DM}/update`, '=scheduler=yes', '=activation-timeout=10s']))[0]?.[0], '!trap');
  }
  const refused = await c.call([`${DM}/update`, '=scheduler=yes', '=activation-timeout=10s'], 5000);
  assert.match(attrs(refused[0]).message ?? '', /too many unsuccessful attempts/);
  assert.equal(router.deviceMode.attemptCount, 3);
  await router.pressButton(300);
  assert.equal(router.deviceMode.attemptCount, 0);
  assert.equal(router.booted, true, 'a press without a pending change does not reboot');
  const requested = once(router, 'update-requested');
  void c.call([`${DM}/update`, '=scheduler=yes', '=activation-timeout=1d']).catch(() => undefined);
  await requested;
});

void test('mode= replaces overrides; feature-only updates keep the rest; print config is explicit', async (t) => {
  const router = await startRouter(t, { model: 'CCR2004', routerosVersion: '7.22' });
  const c = await loginTo(t, router);
  assert.deepEqual(await c.call([`${DM}/print`, '=config=']), [['!re'], ['!done']]);
  const confirm = async (args: string[]) => {
    const booted = once(router, 'booted');
    const requester = await loginTo(t, router);
    void requester.call([`${DM}/update`, ...args, '=activation-timeout=1d']).catch(() => undefined);
    await once(router, 'update-requested');
    await router.pressButton(200);
    await booted;
  };
  await confirm(['=container=yes', '=socks=no']);
  let c2 = await loginTo(t, router);
  assert.deepEqual(attrs((await c2.call([`${DM}/print`, '=config=']))[0]), { container: 'true', socks: 'false' });
  await confirm(['=mode=basic', '=fetch=no']);
  c2 = await loginTo(t, router);
  const row = attrs((await c2.call([`${DM}/print`]))[0]);
  assert.equal(row.mode, 'basic');
  assert.equal(row.container, 'false', 'override dropped by mode=');
  assert.equal(row.fetch, 'false');
  assert.equal(row.scheduler, 'true');
  assert.deepEqual(attrs((await c2.call([`${DM}/print`, '=config=']))[0]), { mode: 'basic', fetch: 'false' });
  assert.equal(row['attempt-count'], '0');
});

void test('print config is refused before 7.17', async (t) => {
  const c = await loginTo(t, await startRouter(t, { routerosVersion: '7.16' }));
  assert.equal((await c.call([`${DM}/print`, '=config=']))[0]?.[0], '!trap');
});

void test('disabled features answer "not allowed by device-mode"; a flagged router refuses more', async (t) => {
  const home = await loginTo(t, await startRouter(t, { model: 'hAP-ax3' }));
  for (const cmd of [
    ['/tool/bandwidth-test', '=address=10.0.0.1'],
    ['/system/scheduler/add', '=name=x'],
    ['/ip/socks/set', '=enabled=yes'],
    ['/tool/fetch', '=url=http://x'],
    ['/container/add', '=remote-image=x'],
  ]) {
    assert.deepEqual((await home.call(cmd))[0], ['!trap', '=message=not allowed by device-mode'], cmd[0]);
  }
  assert.equal((await home.call(['/system/scheduler/print']))[0]?.[0], '!empty');

  const router = await startRouter(t, { model: 'CCR2004', deviceMode: { flagged: true } });
  const c = await loginTo(t, router);
  assert.equal(attrs((await c.call([`${DM}/print`]))[0]).flagged, 'true');
  assert.match(attrs((await c.call(['/tool/bandwidth-test', '=address=10.0.0.1']))[0]).message ?? '', /flagged/);
  assert.match(attrs((await c.call(['/system/scheduler/add', '=name=x']))[0]).message ?? '', /flagged/);
  assert.match(attrs((await c.call(['/ip/socks/set', '=enabled=yes']))[0]).message ?? '', /flagged/);
  assert.deepEqual(await c.call(['/ip/socks/set', '=enabled=no']), [['!done']], 'disabling still works');
  assert.equal((await c.call(['/tool/fetch', '=url=http://x']))[0]?.[0], '!re', 'fetch is not restricted by flagging');

  // Leaving the flagged state takes flagged=no plus physical confirmation.
  void c.call([`${DM}/update`, '=flagged=no', '=activation-timeout=1d']).catch(() => undefined);
  await once(router, 'update-requested');
  assert.equal(router.deviceMode.flagged, true);
  const booted = once(router, 'booted');
  await router.pressButton(200);
  await booted;
  assert.equal(router.deviceMode.flagged, false);
});

void test('a router marked tampered comes up flagged after its next boot', async (t) => {
  const router = await startRouter(t, { model: 'CCR2004' });
  router.markTampered();
  const booted = once(router, 'booted');
  router.reboot('soft');
  await booted;
  const c = await loginTo(t, router);
  assert.equal(attrs((await c.call([`${DM}/print`]))[0]).flagged, 'true');
});

void test('container stays allowed on a flagged rose router (flagging restricts only the listed menus)', async (t) => {
  const c = await loginTo(t, await startRouter(t, { model: 'RDS2216', deviceMode: { flagged: true } }));
  assert.deepEqual(await c.call(['/container/add', '=remote-image=alpine']), [['!done', '=ret=*1']]);
});
