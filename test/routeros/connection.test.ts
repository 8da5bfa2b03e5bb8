// One hardened connection against the simulated router: login, typed failures, and each
// node-routeros 1.6.9 defect neutralised. Each defect test says how it was checked to fail
// with its fix disabled.
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Secret } from '../../src/config/secret.js';
import { RouterConnection } from '../../src/routeros/connection.js';
import {
  RouterAbortedError,
  RouterAuthError,
  RouterClosedError,
  RouterTimeoutError,
  RouterTlsError,
  RouterTrapError,
  RouterUnreachableError,
} from '../../src/routeros/errors.js';
import { parseDeviceMode, updateWords } from '../../src/routeros/parse.js';
import { wordText } from '../../src/routeros/reply-words.js';
import { encodeSentence } from '../../src/routeros/wire.js';
import { cleanupList, endpointFor, routerStarter, sleep, TapProxy, until, within } from './support.js';

const cleanups = cleanupList();

const router = routerStarter(cleanups);

async function connect(endpoint: ReturnType<typeof endpointFor>): Promise<RouterConnection> {
  const c = new RouterConnection(endpoint);
  cleanups.push(() => c.close());
  await c.open();
  return c;
}

void describe('RouterConnection', () => {
  void test('logs in and reads device-mode', async () => {
    const r = await router({ model: 'hAP-ax3' });
    const c = await connect(endpointFor(r));
    const state = parseDeviceMode((await c.command(['/system/device-mode/print']))[0] ?? {});
    assert.equal(state.mode, 'home');
    assert.equal(state.features.container, false);
    assert.equal(state.attemptCount, 0);
  });

  // Without it each command waits ~40 ms for Nagle and delayed ACKs (the bench showed it,
  // and a later merge once dropped the call unnoticed): checked on the client's own socket.
  void test('sets TCP_NODELAY on its socket', async () => {
    const r = await router();
    const calls: Array<{ socket: Socket; on: boolean | undefined }> = [];
    // Restored below and always called with its own socket as `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Socket.prototype.setNoDelay;
    Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
      calls.push({ socket: this, on: noDelay });
      return original.call(this, noDelay);
    };
    try {
      await connect(endpointFor(r));
    } finally {
      Socket.prototype.setNoDelay = original;
    }
    // Judged once connected: the client's socket is the one whose far end is the router.
    const client = calls.filter((c) => c.socket.remotePort === r.apiPort);
    assert.deepEqual(
      client.map((c) => c.on),
      [true],
    );
  });

  // node-routeros decodes every byte as Windows-1252, which garbles UTF-8 names.
  void test('non-ASCII values: UTF-8 as UTF-8, other bytes as Windows-1252', async () => {
    const r = await router({ identity: 'Büro-Zürich ✓' });
    const c = await connect(endpointFor(r));
    assert.equal((await c.command(['/system/identity/print']))[0]?.name, 'Büro-Zürich ✓');
    assert.equal(wordText(Buffer.from([0x42, 0xfc, 0x72, 0x6f]).toString('latin1')), 'Büro');
    assert.equal(wordText('plain'), 'plain');
  });

  void test('a wrong password is a RouterAuthError with the router message', async () => {
    const r = await router();
    const c = new RouterConnection(endpointFor(r, { password: new Secret('wrong', 'test') }));
    await assert.rejects(
      c.open(),
      (e: unknown) => e instanceof RouterAuthError && /invalid user name or password/.test(e.message),
    );
    assert.equal(c.isOpen, false);
  });

  void test('a closed port is a RouterUnreachableError', async () => {
    const r = await router();
    const port = r.apiPort;
    await r.stop();
    const c = new RouterConnection(endpointFor(r, { port }));
    await assert.rejects(
      c.open(),
      (e: unknown) => e instanceof RouterUnreachableError && /ECONNREFUSED/.test(e.message) && !e.loginStalled,
    );
  });

  void test('a router that accepts TCP but never answers the login times out as unreachable', async () => {
    const { createServer } = await import('node:net');
    // Reads (so it sees the client's close) but never answers.
    const silent = createServer((socket) => socket.resume()).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const port = (silent.address() as { port: number }).port;
    const c = new RouterConnection({ ...endpointFor(await router(), { port }), timeoutMs: 600 });
    await assert.rejects(
      within(10_000, 'connect', c.open()),
      (e: unknown) => e instanceof RouterUnreachableError && /timed out/.test(e.message) && e.loginStalled === true,
    );
  });

  void test('a trap carries the router message and category', async () => {
    const r = await router();
    const c = await connect(endpointFor(r));
    await assert.rejects(
      c.command(updateWords({ mode: 'advanced' }, 5)),
      (e: unknown) =>
        e instanceof RouterTrapError && /activation-timeout out of range/.test(e.routerMessage) && e.category === 1,
    );
    // The connection stays usable after a trap.
    assert.equal((await c.command(['/system/identity/print']))[0]?.name, 'MikroTik');
  });

  void test('a stalled command times out, and the connection survives', async () => {
    const r = await router({ stallOthersWhilePending: true, timeScale: 0.01 });
    const updater = await connect(endpointFor(r));
    const reader = await connect(endpointFor(r));
    const pending = updater.command(updateWords({ mode: 'advanced' }, 60), { timeoutMs: 0 });
    pending.catch(() => undefined);
    await until('pending', () => r.deviceMode.pending !== undefined);
    await assert.rejects(reader.command(['/system/device-mode/print'], { timeoutMs: 300 }), RouterTimeoutError);
    // 60 s at scale 0.01 = 0.6 s: the update is cancelled, the reader answers again.
    await assert.rejects(
      within(10_000, 'update', pending),
      (e: unknown) => e instanceof RouterTrapError && e.routerMessage === 'update canceled',
    );
    assert.equal(reader.isOpen, true);
    assert.ok((await reader.command(['/system/identity/print'])).length === 1);
  });

  void test('an AbortSignal ends a call at once', async () => {
    const r = await router({ stallOthersWhilePending: true });
    const updater = await connect(endpointFor(r));
    const reader = await connect(endpointFor(r));
    updater.command(updateWords({ mode: 'advanced' }, 60), { timeoutMs: 0 }).catch(() => undefined);
    await until('pending', () => r.deviceMode.pending !== undefined);
    const controller = new AbortController();
    const call = reader.command(['/system/device-mode/print'], { timeoutMs: 0, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(within(5000, 'aborted call', call), RouterAbortedError);
  });

  // node-routeros's write() cannot be cancelled; ours sends `/cancel` for the command's tag.
  // The simulator (abandonedUpdate: 'cancels') drops the pending change when it gets one,
  // which proves the /cancel reached the router.
  void test('an aborted call is cancelled on the router', async () => {
    const r = await router({ abandonedUpdate: 'cancels' });
    const c = await connect(endpointFor(r));
    const controller = new AbortController();
    const call = c.command(updateWords({ mode: 'advanced' }, 300), { timeoutMs: 0, signal: controller.signal });
    await until('pending', () => r.deviceMode.pending !== undefined);
    controller.abort();
    await assert.rejects(call, RouterAbortedError);
    await until('pending change dropped by /cancel', () => r.deviceMode.pending === undefined, 5000);
    assert.equal(c.isOpen, true);
  });

  // Defect: RouterOS 7.18+ answers `!empty` for no data; node-routeros throws UNKNOWNREPLY from
  // the socket handler (uncaught: this test process dies) and then UNREGISTEREDTAG.
  // Checked: with the `!empty` filter in RouterConnection.dispatch removed, this file crashes.
  void test('!empty (RouterOS 7.18+) is an empty result, not a crash', async () => {
    const r = await router({ routerosVersion: '7.22' });
    const c = await connect(endpointFor(r));
    assert.deepEqual(await c.command(['/system/scheduler/print']), []);
    assert.deepEqual(await c.command(['/system/identity/print', '?name=nobody']), []);
    assert.equal((await c.command(['/system/identity/print']))[0]?.name, 'MikroTik');
  });

  // Defect: node-routeros cuts sentences at TCP chunk boundaries. With every reply sent one
  // byte per TCP write, it misparses (rows lose fields, then UNKNOWNREPLY is thrown).
  // Checked: with raw chunks passed to node-routeros instead of framed sentences, this fails.
  for (const split of ['bytes', 'random'] as const) {
    void test(`replies split across TCP writes (${split}) parse exactly`, async () => {
      const r = await router({ splitReplies: split, routerosVersion: '7.22' });
      const c = await connect(endpointFor(r));
      for (let i = 0; i < 3; i++) {
        const rows = await c.command(['/system/device-mode/print']);
        assert.equal(rows.length, 1);
        const state = parseDeviceMode(rows[0] ?? {});
        assert.equal(state.mode, 'home');
        assert.deepEqual(Object.keys(rows[0] ?? {}).sort(), Object.keys(r.deviceMode.printRow()).sort());
        assert.deepEqual(await c.command(['/system/scheduler/print']), []);
      }
    });
  }

  // Defect: node-routeros's socket idle timeout (its `timeout` option) emits `error` on the
  // API object; with no listener the process crashes, and a quiet session is cut anyway.
  // Checked: without `socket.setTimeout(0)` after login the connection closes after 1 s idle.
  void test('an idle session stays open past the call timeout', async () => {
    const r = await router();
    const c = await connect(endpointFor(r, { timeoutMs: 1000 }));
    await sleep(2500);
    assert.equal(c.isOpen, true);
    assert.equal((await c.command(['/system/identity/print']))[0]?.name, 'MikroTik');
  });

  // Defect: when the connection closes, pending write() promises never settle.
  // Checked: without the close race in command(), this call hangs until `within` fails it.
  void test('a pending call rejects with RouterClosedError when the router loses power', async () => {
    const r = await router();
    const c = await connect(endpointFor(r));
    const pending = c.command(updateWords({ mode: 'advanced' }, 300), { timeoutMs: 0 });
    await until('pending', () => r.deviceMode.pending !== undefined);
    r.powerOff();
    await assert.rejects(within(5000, 'pending call after power loss', pending), RouterClosedError);
    await assert.rejects(c.command(['/system/identity/print']), RouterClosedError);
  });

  // Defect: node-routeros sends a `#` keepalive every timeout/2 while a command is in flight,
  // on the very connection that carries a pending device-mode update.
  // Checked: with commands sent through api.write() instead of our own Channel, `#` appears.
  void test('no keepalive is sent while an update is pending', async () => {
    const r = await router();
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const c = await connect(endpointFor(r, { port: tap.port, timeoutMs: 600 }));
    const pending = c.command(updateWords({ mode: 'advanced' }, 300), { timeoutMs: 0 });
    pending.catch(() => undefined);
    await until('pending', () => r.deviceMode.pending !== undefined);
    await sleep(2000);
    const commands = tap.sent.map((s) => s[0]);
    assert.deepEqual(commands, ['/login', '/system/device-mode/update']);
  });

  // Defect: a reply for a tag node-routeros does not know throws UNREGISTEREDTAG, and an
  // unknown reply word throws UNKNOWNREPLY, both from the socket handler (process crash).
  // Checked: without the tag/reply filter in dispatch(), this file crashes.
  void test('stray sentences (unknown tag, untagged, unknown reply) are dropped', async () => {
    const r = await router();
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const c = await connect(endpointFor(r, { port: tap.port }));
    tap.inject(encodeSentence(['!re', '=name=ghost', '.tag=nobody']));
    tap.inject(encodeSentence(['!done']));
    tap.inject(encodeSentence(['!surprise', '.tag=nobody']));
    await sleep(100);
    assert.equal(c.isOpen, true);
    assert.equal((await c.command(['/system/identity/print']))[0]?.name, 'MikroTik');
  });

  // Defect: a TCP reset after login makes node-routeros emit `error` on the API object; with
  // no listener that is an uncaught exception. Checked: without api.on('error') this crashes.
  void test('a TCP reset closes the connection with a typed error', async () => {
    const r = await router();
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const c = await connect(endpointFor(r, { port: tap.port }));
    const closed = new Promise((resolve) => c.once('close', resolve));
    tap.resetClients();
    const reason = await within(5000, 'close after reset', closed);
    assert.ok(reason instanceof RouterClosedError, String(reason));
    await assert.rejects(c.command(['/system/identity/print']), RouterClosedError);
  });

  void test('/quit: !fatal closes the connection with the router reason', async () => {
    const r = await router();
    const c = await connect(endpointFor(r));
    const closed = new Promise((resolve) => c.once('close', resolve));
    await assert.rejects(
      c.command(['/quit']),
      (e: unknown) => e instanceof RouterClosedError && /session terminated on request/.test(e.message),
    );
    assert.ok((await closed) instanceof RouterClosedError);
  });

  void describe('api-ssl', () => {
    void test('the pinned fingerprint connects', async () => {
      const r = await router({ tls: true });
      const fingerprint = r.tlsFingerprint256 ?? '';
      const c = await connect(endpointFor(r, { port: r.apiSslPort, tls: { enabled: true, fingerprint } }));
      assert.equal((await c.command(['/system/identity/print']))[0]?.name, 'MikroTik');
      // Colons and the sha256: prefix are optional in the configuration.
      const bare = `sha256:${fingerprint.replace(/:/g, '').toLowerCase()}`;
      const c2 = await connect(endpointFor(r, { port: r.apiSslPort, tls: { enabled: true, fingerprint: bare } }));
      assert.equal(c2.isOpen, true);
    });

    void test('another fingerprint is refused before the login is sent', async () => {
      const r = await router({ tls: true });
      let logins = 0;
      const check = r.checkLogin.bind(r);
      r.checkLogin = (name, password) => {
        logins += 1;
        return check(name, password);
      };
      const c = new RouterConnection(
        endpointFor(r, { port: r.apiSslPort, tls: { enabled: true, fingerprint: 'ab'.repeat(32) } }),
      );
      await assert.rejects(within(10_000, 'tls connect', c.open()), RouterTlsError);
      await sleep(200);
      assert.equal(logins, 0);
    });

    void test('without a pin a self-signed certificate is refused (verification is never off)', async () => {
      const r = await router({ tls: true });
      const c = new RouterConnection(endpointFor(r, { port: r.apiSslPort, tls: { enabled: true } }));
      await assert.rejects(within(10_000, 'tls connect', c.open()), RouterUnreachableError);
    });
  });
});
