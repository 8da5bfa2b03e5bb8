// RouterClient against the simulated router: typed reads, typed failures, and reconnecting
// with exponential backoff when the router goes away and comes back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Secret } from '../../src/config/secret.js';
import { RouterClient } from '../../src/routeros/client.js';
import { RouterAuthError, RouterUnreachableError, type RouterError } from '../../src/routeros/errors.js';
import { cleanupList, endpointFor, routerStarter, until, within } from './support.js';

const cleanups = cleanupList();

const router = routerStarter(cleanups);

function client(...args: ConstructorParameters<typeof RouterClient>): RouterClient {
  const c = new RouterClient(...args);
  cleanups.push(() => c.stop());
  return c;
}

void describe('RouterClient', () => {
  void test('typed reads: device-mode, resource, identity (routerboard)', async () => {
    const r = await router({ model: 'RB5009', identity: 'site-12', serialNumber: 'HF0912345' });
    const c = client(endpointFor(r));
    await c.start();
    const dm = await c.readDeviceMode();
    assert.equal(dm.mode, 'basic');
    assert.equal(dm.features.socks, false);
    const res = await c.readResource();
    assert.ok(res.uptimeSeconds >= 0 && res.uptimeSeconds < 60, String(res.uptimeSeconds));
    assert.match(res.version, /^7\.22/);
    const id = await c.readIdentity();
    assert.deepEqual(
      {
        name: id.name,
        model: id.model,
        serial: id.serial,
        boardName: id.boardName,
        architecture: id.architecture,
        systemId: id.systemId,
      },
      {
        name: 'site-12',
        model: 'RB5009UG+S+',
        serial: 'HF0912345',
        boardName: 'RB5009UG+S+',
        architecture: 'arm64',
        systemId: undefined,
      },
    );
  });

  void test('identity of a CHR comes from its license system-id', async () => {
    const r = await router({ model: 'CHR', systemId: 'chr-system-id-1' });
    const c = client(endpointFor(r));
    await c.start();
    const id = await c.readIdentity();
    assert.equal(id.systemId, 'chr-system-id-1');
    assert.equal(id.model, undefined);
    assert.equal((await c.readDeviceMode()).mode, 'advanced');
  });

  void test('a wrong password surfaces as RouterAuthError', async () => {
    const r = await router();
    const c = client(endpointFor(r, { password: new Secret('nope', 'test') }), { backoff: { initialMs: 10_000 } });
    await c.start();
    await assert.rejects(c.readDeviceMode(), RouterAuthError);
  });

  void test('calls made while a connect attempt is in flight share that one session', async () => {
    const r = await router();
    let logins = 0;
    const check = r.checkLogin.bind(r);
    r.checkLogin = (name, password) => {
      logins += 1;
      return check(name, password);
    };
    const c = client(endpointFor(r));
    const starting = c.start();
    const reads = await Promise.all([c.readDeviceMode(), c.readDeviceMode(), c.readIdentity()]);
    await starting;
    assert.equal(reads.length, 3);
    assert.equal(logins, 1);
  });

  // node-routeros has no reconnect (and a second connect() rejects 'ALRDYCONNECTING').
  void test('reconnects with exponential backoff after a power cut, and reads again once back', async () => {
    const r = await router({ timing: { bootMs: 200 } });
    const c = client(endpointFor(r, { timeoutMs: 2000 }), {
      backoff: { initialMs: 100, maxMs: 800, factor: 2 },
      random: () => 1,
    });
    await c.start();
    assert.equal((await c.readDeviceMode()).mode, 'home');

    const failures: { attempt: number; retryInMs: number; error: RouterError }[] = [];
    c.on('connect-failed', (error, info) => failures.push({ ...info, error }));
    const disconnected = new Promise((resolve) => c.once('disconnected', resolve));
    r.powerOff();
    await within(5000, 'disconnected', disconnected);
    await until('four failed attempts', () => failures.length >= 4);
    assert.deepEqual(
      failures.slice(0, 4).map((f) => f.retryInMs),
      [100, 200, 400, 800],
    );
    assert.ok(failures.every((f) => f.error instanceof RouterUnreachableError));
    // While away, calls fail at once with a typed error that says when the next try is.
    await assert.rejects(
      c.readDeviceMode(),
      (e: unknown) => e instanceof RouterUnreachableError && typeof e.retryInMs === 'number',
    );

    const connected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
    r.powerOn();
    await within(10_000, 'reconnected', connected);
    const res = await c.readResource();
    assert.ok(res.uptimeSeconds < 30);
    assert.equal((await c.readDeviceMode()).mode, 'home');
  });

  void test('retryNow() ends a long backoff: a router expected back is found at once', async () => {
    const r = await router({ timing: { bootMs: 100 } });
    const c = client(endpointFor(r, { timeoutMs: 2000 }), {
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      random: () => 1,
    });
    await c.start();
    const failed = new Promise((resolve) => c.once('connect-failed', resolve));
    r.powerOff();
    await within(5000, 'a failed reconnect', failed);
    r.powerOn();
    await until('router booted', () => r.booted);
    // The client now sleeps 60 s; without retryNow this test would time out.
    await assert.rejects(
      c.readResource(),
      (e: unknown) => e instanceof RouterUnreachableError && (e.retryInMs ?? 0) > 10_000,
    );
    const connected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
    c.retryNow();
    await within(10_000, 'reconnected after retryNow', connected);
    assert.ok((await c.readResource()).uptimeSeconds < 30);
  });

  void test('stop() during the first connect attempt does not leave start() hanging', async () => {
    const { createServer } = await import('node:net');
    // Accepts TCP, never answers the login: the first attempt lasts the whole timeout.
    const silent = createServer((socket) => socket.resume()).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const r = await router();
    const c = new RouterClient(endpointFor(r, { port: (silent.address() as { port: number }).port, timeoutMs: 1500 }));
    const starting = c.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await within(5000, 'stop', c.stop());
    await within(5000, 'start', starting);
  });

  void test('stop() ends the loop even while backing off', async () => {
    const r = await router();
    const port = r.apiPort;
    await r.stop();
    const c = new RouterClient(endpointFor(r, { port }), { backoff: { initialMs: 60_000 } });
    await c.start();
    await within(3000, 'stop', c.stop());
    await assert.rejects(c.readDeviceMode());
  });
});
