// The router client against connections the simulator cuts on purpose (TCP resets at a
// chosen command, refused logins, a boot that never ends): every call settles with a typed
// error, the client heals, and a dropped update session is never taken for a confirmation.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { RouterClient } from '../../src/routeros/client.js';
import { RouterConnection } from '../../src/routeros/connection.js';
import { RouterClosedError, RouterUnreachableError } from '../../src/routeros/errors.js';
import { requestUpdate, type UpdatePhase } from '../../src/routeros/update-request.js';
import { DeviceModeWatcher } from '../../src/routeros/watcher.js';
import type { SimulatedRouter } from '../../src/sim/index.js';
import { cleanupList, endpointFor, FAST_TIMING, routerStarter, until, within } from './support.js';

const cleanups = cleanupList();

const router = routerStarter(cleanups, { timing: FAST_TIMING });

async function client(r: SimulatedRouter): Promise<RouterClient> {
  const c = new RouterClient(endpointFor(r), { backoff: { initialMs: 50, maxMs: 200 } });
  cleanups.push(() => c.stop());
  await c.start();
  assert.ok(c.isConnected);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return within(
    10_000,
    'the call settles',
    promise.then(
      () => assert.fail('expected a rejection'),
      (error: unknown) => error,
    ),
  );
}

void describe('injected router faults', () => {
  void test('a read whose connection is reset mid-call rejects RouterClosedError; the client reads again', async () => {
    const r = await router();
    const c = await client(r);
    const rule = r.dropOn({ command: '/system/device-mode/print', when: 'after' });
    const error = await rejection(c.readDeviceMode());
    assert.ok(error instanceof RouterClosedError, String(error));
    assert.equal(rule.hits, 1);
    assert.equal(r.injected.drops, 1);
    await until('reconnected', () => c.isConnected);
    assert.equal((await c.readDeviceMode()).mode, 'home');
    assert.deepEqual(r.state().injected.rules, [], 'a one-shot rule is used up');
  });

  void test('a rule drops only the commands it names, as many times as asked', async () => {
    const r = await router();
    const c = await client(r);
    r.dropOn({ command: '/system/resource/print', times: 2 });
    assert.equal((await c.readDeviceMode()).attemptCount, 0, 'other commands pass');
    for (let i = 0; i < 2; i++) {
      await until('connected', () => c.isConnected);
      assert.ok((await rejection(c.readResource())) instanceof RouterClosedError);
    }
    await until('connected', () => c.isConnected);
    assert.ok((await c.readResource()).uptimeSeconds >= 0);
    assert.equal(r.injected.drops, 2);
  });

  void test('dropApiSessions resets every open session at once', async () => {
    const r = await router();
    const a = await client(r);
    const b = await client(r);
    const reconnected = [a, b].map((c) =>
      within(
        10_000,
        'reconnect',
        once(c, 'disconnected').then(() => once(c, 'connected')),
      ),
    );
    assert.equal(r.dropApiSessions(), 2);
    await Promise.all(reconnected);
    assert.equal((await a.readDeviceMode()).mode, 'home');
    assert.equal((await b.readDeviceMode()).mode, 'home');
  });

  void test('refused logins surface as RouterUnreachableError (not an auth error) until allowed again', async () => {
    const r = await router();
    r.refuseApiLogins(true);
    const refused = new RouterConnection(endpointFor(r));
    const error = await rejection(refused.open());
    assert.ok(error instanceof RouterUnreachableError, String(error));
    assert.ok(!error.loginStalled, 'a reset is not a stall');
    r.refuseApiLogins(false);
    const ok = new RouterConnection(endpointFor(r));
    cleanups.push(() => ok.close());
    await ok.open();
    assert.equal((await ok.command(['/system/identity/print']))[0]?.name, 'MikroTik');
  });

  void test('a hung boot keeps the router powered with its API closed until released', async () => {
    const r = await router();
    r.hangBoots(true);
    r.setPower(false);
    r.setPower(true);
    await new Promise((resolve) => setTimeout(resolve, FAST_TIMING.bootMs * 3));
    assert.equal(r.state().phase, 'booting');
    assert.equal(r.state().power, 'on');
    const closed = new RouterConnection(endpointFor(r, { timeoutMs: 2000 }));
    assert.ok((await rejection(closed.open())) instanceof RouterUnreachableError);
    r.hangBoots(false);
    await until('booted', () => r.booted);
    const c = await client(r);
    assert.equal((await c.readDeviceMode()).mode, 'home');
  });

  for (const abandonedUpdate of ['stays-pending', 'cancels'] as const) {
    void test(`update reset once taken (${abandonedUpdate}): dropped, failed, never confirmed`, async () => {
      const r = await router({ abandonedUpdate });
      await until('up for 3 s', () => r.uptimeMs >= 3000);
      r.dropOn({ command: '/system/device-mode/update', when: 'after' });
      const update = requestUpdate(endpointFor(r), { features: { container: true } }, 60, {
        pollMs: 100,
        dropGraceMs: 1500,
        comeBackTimeoutMs: 10_000,
      });
      const phases: UpdatePhase[] = [];
      await within(
        20_000,
        'update outcome',
        (async () => {
          for await (const p of update) phases.push(p);
        })(),
      );
      const names = phases.map((p) => p.phase).filter((n) => n !== 'pending');
      assert.deepEqual(names, ['sent', 'connection-dropped', 'failed'], JSON.stringify(phases));
      const outcome = phases.at(-1);
      assert.ok(outcome?.phase === 'failed' && outcome.mayStillBePending, JSON.stringify(outcome));
      const state = r.state();
      assert.equal(state.attemptCount, 1, 'the router took the request');
      assert.equal(state.pending === null, abandonedUpdate === 'cancels');
      assert.equal(state.deviceMode.features.container, false);
      assert.equal(state.injected.drops, 1);
    });
  }

  void test('the control endpoint switches the same faults (POST /faults)', async () => {
    const r = await router();
    const post = async (body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${r.controlPort}/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.equal((await post({})).status, 400);
    assert.equal((await post({ dropOn: { command: '/x', times: 0 } })).status, 400);
    assert.equal((await post({ hangBoot: 'yes' })).status, 400);
    const armed = await post({
      refuseLogins: true,
      hangBoot: true,
      dropOn: { command: '/system/resource/print', times: 'unlimited' },
    });
    assert.equal(armed.status, 200);
    assert.deepEqual(armed.body.injected, {
      refuseLogins: true,
      hangBoot: true,
      drops: 0,
      rules: [{ command: '/system/resource/print', when: 'before', remaining: 'unlimited', hits: 0 }],
    });
    const refused = new RouterConnection(endpointFor(r));
    assert.ok((await rejection(refused.open())) instanceof RouterUnreachableError);
    const cleared = await post({ refuseLogins: false, hangBoot: false, clearRules: true });
    assert.deepEqual(cleared.body.injected, { refuseLogins: false, hangBoot: false, drops: 1, rules: [] });
    const c = await client(r);
    const dropped = once(c, 'disconnected');
    assert.equal((await post({ dropSessions: true })).status, 200);
    await within(10_000, 'session reset', dropped);
  });

  void test('a watcher poll reset mid-call: unreachable, then back; never a stall', async () => {
    const r = await router();
    const watcher = new DeviceModeWatcher(endpointFor(r, { timeoutMs: 1500 }), { intervalMs: 100 });
    cleanups.push(() => watcher.stop());
    const events: string[] = [];
    for (const name of ['unreachable', 'back', 'stalled', 'attempt-count-rose', 'rebooted'] as const)
      watcher.on(name, () => events.push(name));
    let samples = 0;
    watcher.on('state', () => samples++);
    await watcher.start();
    await until('first sample', () => samples > 0);
    r.dropOn({ command: '/system/device-mode/print', when: 'after' });
    await until('back', () => events.includes('back'));
    assert.deepEqual(events, ['unreachable', 'back']);
  });
});
