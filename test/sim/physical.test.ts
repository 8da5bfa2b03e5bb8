import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Fault } from '../../src/sim/index.js';
import { attrs, loginTo, RawClient, startRouter } from './raw-client.js';

const DM = '/system/device-mode';
const UPDATE = [`${DM}/update`, '=mode=advanced', '=activation-timeout=1d'];

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

async function pending(t: Parameters<typeof loginTo>[0], router: Parameters<typeof loginTo>[1]): Promise<RawClient> {
  const c = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  c.send([...UPDATE, '.tag=u']);
  await requested;
  return c;
}

void test('a short press confirms: the caller gets no answer, the connection drops, it reboots changed', async (t) => {
  const router = await startRouter(t);
  const c = await pending(t, router);
  const uptimeBefore = router.uptimeMs;
  await router.pressButton(300);
  await c.waitClosed();
  assert.deepEqual(c.tagged('u'), [], 'no !trap or !done for a confirmed update');
  await once(router, 'booted');
  assert.ok(router.uptimeMs < uptimeBefore + 100_000);
  const fresh = await loginTo(t, router);
  const row = attrs((await fresh.call([`${DM}/print`]))[0]);
  assert.equal(row.mode, 'advanced');
  assert.equal(row['attempt-count'], '0');
  assert.deepEqual(router.faults, []);
});

void test('power off long enough confirms; the API refuses connections while off and booting', async (t) => {
  const router = await startRouter(t, { timing: { minOffMs: 3000, bootMs: 3000 } });
  const c = await pending(t, router);
  const port = router.apiPort;
  router.setPower(false);
  await c.waitClosed();
  assert.equal(await refused(port), true);
  await router.clock.sleep(3500);
  router.setPower(true);
  assert.equal(router.phase, 'booting');
  assert.equal(await refused(port), true);
  await once(router, 'booted');
  assert.equal(router.apiPort, port, 'same port after boot');
  const fresh = await loginTo(t, router);
  const row = attrs((await fresh.call([`${DM}/print`]))[0]);
  assert.equal(row.mode, 'advanced');
  assert.equal(row['attempt-count'], '0');
  const res = attrs((await fresh.call(['/system/resource/print']))[0]);
  assert.match(res.uptime ?? '', /^\d+s$/, 'uptime restarted');
});

void test('a power blip shorter than minOffMs reboots but confirms nothing', async (t) => {
  const router = await startRouter(t, { timing: { minOffMs: 3000 } });
  await pending(t, router);
  router.setPower(false);
  router.setPower(true);
  await once(router, 'booted');
  const fresh = await loginTo(t, router);
  const row = attrs((await fresh.call([`${DM}/print`]))[0]);
  assert.equal(row.mode, 'home');
  assert.equal(row['attempt-count'], '1');
  assert.equal(router.state().pending, null);
});

for (const rebootReply of ['drops', 'done'] as const) {
  void test(`/system/reboot (rebootReply=${rebootReply}): a soft reboot drops the pending change`, async (t) => {
    const router = await startRouter(t, { rebootReply });
    const requester = await pending(t, router);
    const admin = await loginTo(t, router);
    const canceled = once(router, 'update-canceled');
    admin.send(['/system/reboot', '.tag=r']);
    // A real router drops the session without an answer; the old simulator answered `!done` first.
    await admin.waitClosed();
    assert.deepEqual(admin.tagged('r'), rebootReply === 'done' ? [['!done', '.tag=r']] : []);
    assert.equal(((await canceled) as [{ reason: string }])[0].reason, 'reboot');
    await Promise.all([requester.waitClosed(), admin.waitClosed()]);
    await once(router, 'booted');
    const fresh = await loginTo(t, router);
    const row = attrs((await fresh.call([`${DM}/print`]))[0]);
    assert.equal(row.mode, 'home');
    assert.equal(row['attempt-count'], '1');
  });
}

void test('a button still held when the router boots is a fault with its boot action', async (t) => {
  // A slower clock here: hold lengths decide the boot action, and a loaded machine must not shift them.
  const router = await startRouter(t, { identity: 'site-7', timeScale: 0.2, timing: { shutdownMs: 1000 } });
  await pending(t, router);
  router.pressButtonDown(); // confirms, reboot begins after shutdownMs
  await once(router, 'boot');
  assert.equal(router.faults.length, 1);
  await router.clock.sleep(6000); // held through the LED flash: configuration reset
  const fault = once(router, 'fault');
  router.releaseButton();
  const [recorded] = (await fault) as [Fault];
  assert.equal(recorded.action, 'reset-configuration');
  assert.ok((recorded.heldMs ?? 0) >= 6000);
  await once(router, 'booted');
  assert.equal(router.identity, 'MikroTik');
  assert.equal(router.state().faults.length, 1);
});

void test('power applied with the button held records a fault even without a pending change', async (t) => {
  const router = await startRouter(t, { timeScale: 0.5 });
  router.setPower(false);
  router.pressButtonDown();
  router.setPower(true);
  await router.clock.sleep(3000);
  router.releaseButton();
  await once(router, 'booted');
  assert.equal(router.faults[0]?.action, 'backup-bootloader');
});
