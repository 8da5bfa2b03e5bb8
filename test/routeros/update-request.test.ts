// requestUpdate against the simulated router: pending, then confirmed by a button press or a
// power cycle, cancelled at the activation timeout or by a parallel update, rejected for
// invalid input; under both unconfirmed RouterOS behaviours and with split replies.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestUpdate, type RequestUpdateOptions, type UpdatePhase } from '../../src/routeros/update-request.js';
import type { DeviceModeChange } from '../../src/routeros/device-mode.js';
import type { SimulatedRouter } from '../../src/sim/index.js';
import { RouterClient } from '../../src/routeros/client.js';
import { cleanupList, endpointFor, FAST_TIMING, routerStarter, sleep, TapProxy, until, within } from './support.js';

const cleanups = cleanupList();

const QUICK: RequestUpdateOptions = { pollMs: 100, acceptWindowMs: 1500, comeBackTimeoutMs: 20_000 };

const router = routerStarter(cleanups, { timing: FAST_TIMING });

/**
 * A reboot shows as an uptime lower than expected, at RouterOS's 1 s resolution; a router
 * that booted a moment ago cannot show it (real ones have been up for days).
 */
async function upForAWhile(r: SimulatedRouter): Promise<SimulatedRouter> {
  await until('router up for 3 s', () => r.uptimeMs >= 3000);
  return r;
}

/** Runs one request; `onPending` plays the physical world once the router holds the change. */
async function run(
  r: SimulatedRouter,
  change: DeviceModeChange,
  timeoutS: number,
  onPending?: () => unknown,
  options: RequestUpdateOptions = {},
): Promise<UpdatePhase[]> {
  const request = requestUpdate(endpointFor(r), change, timeoutS, { ...QUICK, ...options });
  if (onPending)
    request.on('phase', (p) => {
      if (p.phase === 'pending') void onPending();
    });
  const phases: UpdatePhase[] = [];
  await within(
    40_000,
    'update outcome',
    (async () => {
      for await (const p of request) phases.push(p);
    })(),
  );
  assert.deepEqual(await request.outcome, phases.at(-1));
  return phases;
}

const names = (phases: UpdatePhase[]) => phases.map((p) => p.phase).filter((n) => n !== 'progress');

void describe('requestUpdate', () => {
  for (const progressWhilePending of [false, true]) {
    void test(`pending, then confirmed by a short press (progress: ${progressWhilePending})`, async () => {
      const r = await upForAWhile(await router({ progressWhilePending }));
      const phases = await run(r, { mode: 'advanced', features: { container: true } }, 300, () => r.pressButton(100));
      assert.deepEqual(names(phases), ['sent', 'pending', 'connection-dropped', 'confirmed']);
      const pending = phases.find((p) => p.phase === 'pending');
      assert.ok(
        pending && (pending.evidence === 'attempt-count' || pending.evidence === 'progress'),
        JSON.stringify(pending),
      );
      if (progressWhilePending) assert.ok(phases.some((p) => p.phase === 'progress'));
      else assert.ok(!phases.some((p) => p.phase === 'progress'));
      const confirmed = phases.at(-1);
      assert.ok(confirmed?.phase === 'confirmed');
      assert.equal(confirmed.state.mode, 'advanced');
      assert.equal(confirmed.state.features.container, true);
      assert.equal(confirmed.rebooted, true);
      assert.equal(r.state().deviceMode.mode, 'advanced');
      assert.deepEqual(r.faults, []);
    });
  }

  void test('confirmed by a power cycle long enough to be cold', async () => {
    const r = await upForAWhile(await router());
    const phases = await run(r, { features: { fetch: true } }, 300, async () => {
      r.powerOff();
      await sleep(400);
      r.powerOn();
    });
    assert.deepEqual(names(phases), ['sent', 'pending', 'connection-dropped', 'confirmed']);
    const confirmed = phases.at(-1);
    assert.ok(confirmed?.phase === 'confirmed' && confirmed.state.features.fetch && confirmed.state.mode === 'home');
    assert.equal(confirmed.state.attemptCount, 0);
  });

  void test('a power blip too short to confirm: rebooted without the change', async () => {
    const r = await upForAWhile(await router({ timing: { ...FAST_TIMING, minOffMs: 5000 } }));
    const phases = await run(r, { features: { fetch: true } }, 300, async () => {
      r.powerOff();
      await sleep(100);
      r.powerOn();
    });
    const last = phases.at(-1);
    assert.ok(
      last?.phase === 'failed' && /rebooted without the change/.test(last.reason) && !last.mayStillBePending,
      JSON.stringify(last),
    );
  });

  void test('cancelled when the activation timeout passes (time-scaled router)', async () => {
    // 120 s at scale 0.01 lasts 1.2 s.
    const r = await router({ timeScale: 0.01 });
    const phases = await run(r, { mode: 'advanced' }, 120);
    assert.deepEqual(names(phases), ['sent', 'pending', 'cancelled']);
    const last = phases.at(-1);
    assert.ok(last?.phase === 'cancelled' && last.message === 'update canceled');
    assert.equal(r.state().deviceMode.mode, 'home');
    assert.equal(r.state().attemptCount, 1);
  });

  void test('two parallel updates cancel each other', async () => {
    const r = await router();
    const [a, b] = await Promise.all([run(r, { mode: 'advanced' }, 300), run(r, { mode: 'basic' }, 300)]);
    for (const phases of [a, b]) {
      const last = phases.at(-1);
      assert.ok(last?.phase === 'cancelled', JSON.stringify(phases));
    }
    assert.equal(r.state().pending, null);
    assert.equal(r.state().deviceMode.mode, 'home');
  });

  void test('rejected at once with RouterOS message for invalid input', async () => {
    const r = await router();
    const outOfRange = await run(r, { mode: 'advanced' }, 5);
    assert.deepEqual(names(outOfRange), ['sent', 'rejected']);
    const last = outOfRange.at(-1);
    assert.ok(
      last?.phase === 'rejected' && /activation-timeout out of range/.test(last.message) && last.category === 1,
    );
    const nothing = await run(r, {}, 60);
    assert.ok(nothing.at(-1)?.phase === 'rejected');
    assert.equal(r.state().attemptCount, 0);
  });

  void test('rejected after three unconfirmed attempts', async () => {
    const r = await router({ deviceMode: { attemptCount: 3 } });
    const last = (await run(r, { mode: 'advanced' }, 60)).at(-1);
    assert.ok(last?.phase === 'rejected' && last.message === 'too many unsuccessful attempts', JSON.stringify(last));
  });

  // Other sessions stall while a change is pending: attempt-count cannot be read, so the
  // acceptance window is the evidence; the outcome still comes from the read-back.
  void test('with other sessions stalled: pending by silence, confirmed by button', async () => {
    const r = await upForAWhile(await router({ stallOthersWhilePending: true }));
    const phases = await run(r, { mode: 'advanced' }, 300, () => r.pressButton(100), { acceptWindowMs: 800 });
    assert.deepEqual(names(phases), ['sent', 'pending', 'connection-dropped', 'confirmed']);
    assert.deepEqual(
      phases.find((p) => p.phase === 'pending'),
      { phase: 'pending', evidence: 'no-immediate-trap' },
    );
  });

  void test('replies split across TCP writes: the same phases', async () => {
    const r = await upForAWhile(
      await router({ splitReplies: 'random', progressWhilePending: true, routerosVersion: '7.22' }),
    );
    const phases = await run(r, { mode: 'rose' }, 300, () => r.pressButton(100));
    assert.deepEqual(names(phases), ['sent', 'pending', 'connection-dropped', 'confirmed']);
    assert.equal(r.state().deviceMode.mode, 'rose');
  });

  void test('abort: the caller gives up; the change may still be pending', async () => {
    const r = await router();
    const controller = new AbortController();
    const phases = await run(r, { mode: 'advanced' }, 300, () => controller.abort(), { signal: controller.signal });
    const last = phases.at(-1);
    assert.ok(last?.phase === 'aborted' && last.mayStillBePending);
  });

  // The update's session carries the update and nothing else: no keepalive, no read, no probe.
  void test('the update runs on a dedicated session that sends nothing else', async () => {
    const r = await upForAWhile(await router({ progressWhilePending: true }));
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const reader = new RouterClient(endpointFor(r), { backoff: { initialMs: 100, maxMs: 500 } });
    cleanups.push(() => reader.stop());
    await reader.start();
    const request = requestUpdate(endpointFor(r, { port: tap.port, timeoutMs: 600 }), { mode: 'advanced' }, 300, {
      ...QUICK,
      reader,
    });
    await within(
      10_000,
      'pending',
      new Promise<void>((resolve) =>
        request.on('phase', (p) => {
          if (p.phase === 'pending') resolve();
        }),
      ),
    );
    await sleep(1500);
    await r.pressButton(100);
    const outcome = await within(20_000, 'outcome', request.outcome);
    assert.equal(outcome.phase, 'confirmed');
    assert.deepEqual(
      tap.sent.map((words) => words[0]),
      ['/login', '/system/device-mode/update'],
    );
  });

  // A power cut sends no FIN, and the update session sends nothing, so it never learns of
  // the reboot by itself. Checked: without watchForReboot this waits for the activation
  // timeout (300 s) and `within` fails.
  void test('a silent power cut that confirms is seen without waiting for the activation timeout', async () => {
    const r = await upForAWhile(await router());
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const endpoint = endpointFor(r, { port: tap.port, timeoutMs: 1000 });
    const reader = new RouterClient(endpoint, { backoff: { initialMs: 100, maxMs: 500 } });
    cleanups.push(() => reader.stop());
    await reader.start();
    const request = requestUpdate(endpoint, { mode: 'advanced' }, 300, { ...QUICK, reader });
    request.on('phase', (p) => {
      if (p.phase !== 'pending') return;
      void (async () => {
        tap.blackhole();
        r.powerOff();
        await sleep(400);
        r.powerOn();
        await until('booted', () => r.booted);
        await tap.restore();
      })();
    });
    const outcome = await within(30_000, 'outcome', request.outcome);
    assert.equal(outcome.phase, 'confirmed', JSON.stringify(request.phases));
    assert.deepEqual(names(request.phases), ['sent', 'pending', 'connection-dropped', 'confirmed']);
  });

  void test('over api-ssl with a pinned certificate', async () => {
    const r = await upForAWhile(await router({ tls: true }));
    const endpoint = endpointFor(r, {
      port: r.apiSslPort,
      tls: { enabled: true, fingerprint: r.tlsFingerprint256 ?? '' },
    });
    const request = requestUpdate(endpoint, { mode: 'advanced' }, 300, QUICK);
    request.on('phase', (p) => {
      if (p.phase === 'pending') void r.pressButton(100);
    });
    const outcome = await within(30_000, 'outcome', request.outcome);
    assert.equal(outcome.phase, 'confirmed', JSON.stringify(request.phases));
    assert.deepEqual(r.faults, []);
  });

  void test('nothing is sent when the router is unreachable', async () => {
    const r = await router();
    const port = r.apiPort;
    await r.stop();
    const request = requestUpdate(endpointFor(r, { port }), { mode: 'advanced' }, 300, QUICK);
    const last = await within(20_000, 'outcome', request.outcome);
    assert.ok(last.phase === 'failed' && /nothing sent/.test(last.reason) && !last.mayStillBePending);
    assert.deepEqual(
      request.phases.map((p) => p.phase),
      ['failed'],
    );
  });
});
