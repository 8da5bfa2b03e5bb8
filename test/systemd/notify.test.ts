import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemdNotifier, watchdogIntervalMs } from '../../src/systemd/notify.js';
import { NotifyListener } from '../helpers/notify-listener.js';
import { waitFor } from '../helpers/mosquitto.js';

void test('READY, STATUS, WATCHDOG and STOPPING arrive at a real notify socket as exact datagrams', async (t) => {
  const listener = await NotifyListener.start();
  t.after(() => listener.stop());
  const notifier = new SystemdNotifier({
    env: { ...process.env, NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '400000' },
  });
  assert.equal(notifier.enabled, true);
  assert.equal(notifier.watchdogMs, 200);
  await notifier.ready('watching 2 routers\nFAKE=1');
  await listener.waitFor((d) => d.startsWith('READY=1'), 'READY');
  assert.equal(listener.datagrams[0], 'READY=1\nSTATUS=watching 2 routers FAKE=1');
  notifier.startWatchdog();
  await waitFor(
    () => (listener.datagrams.filter((d) => d === 'WATCHDOG=1').length >= 2 ? true : undefined),
    'two watchdog pings',
  );
  await notifier.stopping('stopping');
  await listener.waitFor((d) => d.startsWith('STOPPING=1'), 'STOPPING');
  assert.equal(listener.datagrams.at(-1), 'STOPPING=1\nSTATUS=stopping');
});

void test('an unhealthy agent withholds its watchdog ping', async () => {
  const sent: string[][] = [];
  const notifier = new SystemdNotifier({
    env: { NOTIFY_SOCKET: '/nonexistent', WATCHDOG_USEC: '20000' },
    sender: (a) => Promise.resolve(void sent.push(a)),
  });
  let healthy = false;
  notifier.startWatchdog(() => healthy);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sent.length, 0);
  healthy = true;
  await waitFor(() => (sent.length > 0 ? true : undefined), 'ping once healthy');
  notifier.stopWatchdog();
  assert.deepEqual(sent[0], ['WATCHDOG=1']);
});

void test('without NOTIFY_SOCKET nothing is sent; a missing systemd-notify is not fatal', async () => {
  const sent: string[][] = [];
  const off = new SystemdNotifier({
    env: { WATCHDOG_USEC: '1000000' },
    sender: (a) => Promise.resolve(void sent.push(a)),
  });
  await off.ready('x');
  off.startWatchdog();
  await off.stopping();
  assert.equal(off.enabled, false);
  assert.equal(off.watchdogMs, undefined);
  assert.deepEqual(sent, []);
  const broken = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/tmp/x.sock' }, binary: '/nonexistent/systemd-notify' });
  await broken.ready();
});

void test('the watchdog interval is half of WATCHDOG_USEC, and only for the process it names', () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 7), 15_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7), 15_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' }, 7), undefined);
  assert.equal(watchdogIntervalMs({}, 7), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'x' }, 7), undefined);
});
