import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { SimState } from '../../src/sim/index.js';
import { attrs, loginTo, startRouter } from './raw-client.js';

async function http(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

void test('GET /state shows power, boot, uptime, pending change with its timeout, device-mode, faults', async (t) => {
  const router = await startRouter(t, { controlPort: 0 });
  const c = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  c.send(['/system/device-mode/update', '=mode=advanced', '=activation-timeout=1h', '.tag=u']);
  await requested;
  const { status, json } = await http(router.controlPort, 'GET', '/state');
  const state = json as unknown as SimState;
  assert.equal(status, 200);
  assert.equal(state.power, 'on');
  assert.equal(state.booted, true);
  assert.equal(typeof state.uptimeMs, 'number');
  assert.deepEqual(state.pending?.change, { mode: 'advanced' });
  assert.equal(state.pending?.timeoutMs, 3_600_000);
  assert.equal(state.deviceMode.mode, 'home');
  assert.equal(state.attemptCount, 1);
  assert.deepEqual(state.faults, []);
  assert.equal(state.ports.api, router.apiPort);
});

void test('POST /power off then on (long enough) applies the pending change', async (t) => {
  const router = await startRouter(t, { controlPort: 0, timing: { minOffMs: 2000 } });
  const c = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  c.send(['/system/device-mode/update', '=mode=basic', '=activation-timeout=1d', '.tag=u']);
  await requested;
  const off = await http(router.controlPort, 'POST', '/power', { on: false });
  assert.equal(off.json.power, 'off');
  await router.clock.sleep(2500);
  const booted = once(router, 'booted');
  const on = await http(router.controlPort, 'POST', '/power', { on: true });
  assert.equal(on.json.phase, 'booting');
  await booted;
  const fresh = await loginTo(t, router);
  assert.equal(attrs((await fresh.call(['/system/device-mode/print']))[0]).mode, 'basic');
});

void test('POST /button {ms} confirms; {down} holds and releases', async (t) => {
  const router = await startRouter(t, { controlPort: 0 });
  const c = await loginTo(t, router);
  const requested = once(router, 'update-requested');
  c.send(['/system/device-mode/update', '=socks=yes', '=activation-timeout=1d', '.tag=u']);
  await requested;
  const booted = once(router, 'booted');
  const pressed = await http(router.controlPort, 'POST', '/button', { ms: 300 });
  assert.equal((pressed.json as { button: { down: boolean } }).button.down, false);
  await booted;
  assert.equal(router.deviceMode.features.socks, true);
  const down = await http(router.controlPort, 'POST', '/button', { down: true });
  assert.deepEqual(down.json.button, { down: true });
  const up = await http(router.controlPort, 'POST', '/button', { down: false });
  assert.deepEqual(up.json.button, { down: false });
  assert.deepEqual(router.faults, []);
});

void test('bad requests get JSON errors with 4xx', async (t) => {
  const router = await startRouter(t, { controlPort: 0 });
  const port = router.controlPort;
  const cases: Array<[string, string, unknown, number]> = [
    ['POST', '/power', { on: 'yes' }, 400],
    ['POST', '/power', 'not json', 400],
    ['POST', '/power', [], 400],
    ['POST', '/button', { ms: -5 }, 400],
    ['POST', '/button', { ms: 600_000 }, 400],
    ['POST', '/button', {}, 400],
    ['POST', '/poe', { port: 'ether5', poeOut: 'off' }, 400],
    ['GET', '/nothing', undefined, 404],
    ['DELETE', '/state', undefined, 405],
    ['GET', '/power', undefined, 405],
  ];
  for (const [method, path, body, expected] of cases) {
    const { status, json } = await http(port, method, path, body);
    assert.equal(status, expected, `${method} ${path} ${JSON.stringify(body)}`);
    assert.equal(typeof json.error, 'string');
  }
  assert.equal(router.powered, true, 'nothing happened');
});

void test('a button held through a power cycle shows up in GET /state faults', async (t) => {
  // Real time: the release must come within 2 s of power-on for the action to be "none".
  const router = await startRouter(t, { controlPort: 0, timeScale: 1 });
  const port = router.controlPort;
  await http(port, 'POST', '/button', { down: true });
  await http(port, 'POST', '/power', { on: false });
  await http(port, 'POST', '/power', { on: true });
  const held = await http(port, 'GET', '/state');
  assert.equal((held.json.faults as unknown[]).length, 1);
  await http(port, 'POST', '/button', { down: false });
  const { json } = await http(port, 'GET', '/state');
  const [fault] = json.faults as Array<{ kind: string; action: string }>;
  assert.equal(fault?.kind, 'button-held-at-boot');
  assert.equal(fault?.action, 'none');
});
