// A third-party client in the suite: Debian's python3-librouteros (what Home Assistant's
// MikroTik integration uses) against the simulator, exactly as against a router. It must be
// installed (.ci/run installs it); without it these tests fail rather than skip.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SimulatedRouterOptions } from '../../src/sim/index.js';
import { RawClient, startRouter } from './raw-client.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./clients/librouteros_client.py', import.meta.url));

const check = spawnSync(PYTHON, ['-c', 'import librouteros'], { encoding: 'utf8' });
if (check.status !== 0) {
  throw new Error(
    `${PYTHON} cannot import librouteros (apt-get install python3-librouteros): ${check.stderr || check.error}`,
  );
}

interface Run {
  lines: unknown[];
  done: Promise<unknown>;
}

/** Runs one scenario of the Python client; `lines` fills as it prints, `done` is its last line. */
function client(port: number, scenario: string, password = 'pw'): Run {
  const child = spawn(PYTHON, [SCRIPT, String(port), 'admin', password, scenario], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const done = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`librouteros ${scenario} exited ${String(code)}:\n${err}`);
    return lines.at(-1);
  });
  return { lines, done };
}

async function router(t: TestContext, options: SimulatedRouterOptions = {}) {
  return startRouter(t, { password: 'pw', identity: 'ha-router', ...options });
}

void test('librouteros: login, and a wrong password is a trap', async (t) => {
  const r = await router(t);
  assert.deepEqual(await client(r.apiPort, 'wrong-password').done, { login: 'invalid user name or password (6)' });
});

void test('librouteros: the getalls and prints Home Assistant reads', async (t) => {
  const r = await router(t);
  const got = (await client(r.apiPort, 'home-assistant').done) as Record<string, Array<Record<string, string>>>;
  assert.deepEqual(got['/system/identity/getall'], [{ name: 'ha-router' }]);
  assert.equal(got['/system/routerboard/getall']?.[0]?.model, r.profile.model);
  assert.equal(got['/system/routerboard/getall']?.[0]?.['serial-number'], r.serialNumber);
  assert.equal(got['/system/resource/getall']?.[0]?.version, '7.22 (stable)');
  assert.deepEqual(
    got['/interface/getall']?.map((i) => i.name),
    ['ether1', 'bridge'],
  );
  assert.equal(got['/ip/arp/getall']?.length, 2);
  assert.deepEqual(
    got['/ip/dhcp-server/lease/getall']?.map((l) => l['host-name']),
    ['host-1', 'host-2'],
  );
  assert.deepEqual(got['/system/identity/print'], [{ name: 'ha-router' }]);
  assert.equal(got.wireless, 'no such command prefix');
});

void test('librouteros: its query builder (==, !=, In, <, >, Or, And, .proplist) and UTF-8 text', async (t) => {
  const r = await router(t, { deviceMode: { mode: 'advanced' }, identity: 'Łódź-β' });
  // Set by a UTF-8 client (ours), read back by librouteros.
  const ours = await RawClient.login(r.apiPort, 'admin', 'pw');
  t.after(() => ours.close());
  await ours.call(['/system/scheduler/add', '=name=d', '=interval=99', '=comment=Zürich ✓']);
  const got = await client(r.apiPort, 'queries').done;
  assert.deepEqual(got, {
    eq: ['b'],
    ne: ['a', 'c', 'd'],
    in: ['a', 'c'],
    lt: ['b'],
    gt: ['a', 'c', 'd'],
    or: ['a', 'b'],
    and: ['a', 'd'],
    proplist: [['name']],
    comments: ['Zürich ✓', 'plain a', 'plain b', 'plain c'],
    identity: 'Łódź-β',
  });
});

void test('librouteros: an update left to time out ends in the update canceled trap', async (t) => {
  const r = await router(t, { timeScale: 0.1 });
  const got = (await client(r.apiPort, 'update-times-out').done) as Record<string, Record<string, string> | string>;
  assert.equal(got.result, 'trap: update canceled');
  // librouteros casts numbers and booleans on the way in.
  assert.equal((got.before as Record<string, unknown>)['attempt-count'], 0);
  assert.equal((got.after as Record<string, string>).mode, 'home');
  assert.equal((got.after as Record<string, unknown>)['attempt-count'], 1);
});

void test('librouteros: an update confirmed by a button press through the control endpoint', async (t) => {
  const r = await startRouter(t, {
    password: 'pw',
    controlPort: 0,
    timeScale: 0.2,
    timing: { bootMs: 1000, shutdownMs: 500 },
  });
  const run = client(r.apiPort, 'update-confirmed');
  const deadline = Date.now() + 30_000;
  while (r.state().pending === null) {
    assert.ok(Date.now() < deadline, 'the update never became pending');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const press = await fetch(`http://127.0.0.1:${r.controlPort}/button`, {
    method: 'POST',
    body: JSON.stringify({ ms: 200 }),
  });
  assert.equal(press.status, 200);
  const got = (await run.done) as Record<string, Record<string, string> | string>;
  assert.equal(got.result, 'connection closed');
  assert.equal((got.after as Record<string, string>).mode, 'advanced');
  assert.equal((got.after as Record<string, unknown>)['attempt-count'], 0);
});
