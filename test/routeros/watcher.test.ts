// DeviceModeWatcher against the simulated router: each event from a real cause.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { RouterConnection } from '../../src/routeros/connection.js';
import { updateWords } from '../../src/routeros/parse.js';
import { DeviceModeWatcher, type DeviceModeWatcherEvents } from '../../src/routeros/watcher.js';
import type { SimulatedRouter } from '../../src/sim/index.js';
import { cleanupList, endpointFor, FAST_TIMING, routerStarter, sleep, TapProxy, until, within } from './support.js';

const cleanups = cleanupList();

const router = routerStarter(cleanups, { timing: FAST_TIMING });

/** A started watcher and a log of every event it emitted, in order. */
async function watch(r: SimulatedRouter, options: ConstructorParameters<typeof DeviceModeWatcher>[1] = {}) {
  const watcher = new DeviceModeWatcher(endpointFor(r, { timeoutMs: 1500 }), { intervalMs: 100, ...options });
  cleanups.push(() => watcher.stop());
  const events: string[] = [];
  const names: (keyof DeviceModeWatcherEvents)[] = [
    'attempt-count-rose',
    'attempt-count-reset',
    'flagged-changed',
    'device-mode-changed',
    'rebooted',
    'unreachable',
    'back',
    'stalled',
    'stall-ended',
  ];
  for (const name of names) watcher.on(name, () => events.push(name));
  const firstState = once(watcher, 'state');
  await watcher.start();
  await within(10_000, 'first state', firstState);
  return { watcher, events };
}

/** Another client's update on its own connection (what the watcher must notice). */
async function foreignUpdate(r: SimulatedRouter, timeoutS = 300): Promise<RouterConnection> {
  const c = new RouterConnection(endpointFor(r));
  cleanups.push(() => c.close());
  await c.open();
  c.command(updateWords({ mode: 'advanced' }, timeoutS), { timeoutMs: 0 }).catch(() => undefined);
  return c;
}

void describe('DeviceModeWatcher', () => {
  void test('reports state every interval and nothing else while quiet', async () => {
    const r = await router();
    const { watcher, events } = await watch(r);
    let states = 0;
    watcher.on('state', () => states++);
    await sleep(700);
    assert.ok(states >= 3, `only ${states} polls in 700 ms`);
    assert.equal(watcher.latest?.deviceMode.mode, 'home');
    assert.deepEqual(events, []);
    // stop() then start() again polls again.
    await watcher.stop();
    const again = once(watcher, 'state');
    await watcher.start();
    await within(5000, 'state after restart', again);
  });

  void test('attempt-count rose when another client requests a change, and reset after confirmation', async () => {
    const r = await router();
    await until('uptime', () => r.uptimeMs >= 3000);
    const { watcher, events } = await watch(r);
    const rose = once(watcher, 'attempt-count-rose');
    await foreignUpdate(r);
    const [info] = (await within(10_000, 'attempt-count-rose', rose)) as DeviceModeWatcherEvents['attempt-count-rose'];
    assert.deepEqual([info.from, info.to], [0, 1]);

    const changed = once(watcher, 'device-mode-changed');
    await r.pressButton(100);
    const [change] = (await within(
      15_000,
      'device-mode-changed',
      changed,
    )) as DeviceModeWatcherEvents['device-mode-changed'];
    assert.equal(change.from.mode, 'home');
    assert.equal(change.to.mode, 'advanced');
    assert.deepEqual(events, [
      'attempt-count-rose',
      'unreachable',
      'back',
      'rebooted',
      'attempt-count-reset',
      'device-mode-changed',
    ]);
  });

  void test('unreachable while powered off, back and rebooted when power returns', async () => {
    const r = await router();
    await until('uptime', () => r.uptimeMs >= 3000);
    const { watcher, events } = await watch(r);
    const down = once(watcher, 'unreachable');
    r.powerOff();
    await within(10_000, 'unreachable', down);
    await sleep(500);
    assert.deepEqual(events, ['unreachable']);
    const rebooted = once(watcher, 'rebooted');
    r.powerOn();
    await within(15_000, 'rebooted', rebooted);
    assert.deepEqual(events, ['unreachable', 'back', 'rebooted']);
  });

  void test('flagged changed after a boot that found tampering', async () => {
    const r = await router();
    const { watcher, events } = await watch(r);
    const flagged = once(watcher, 'flagged-changed');
    r.markTampered();
    r.reboot('soft');
    const [info] = (await within(15_000, 'flagged-changed', flagged)) as DeviceModeWatcherEvents['flagged-changed'];
    assert.deepEqual([info.from, info.to], [false, true]);
    assert.ok(events.includes('unreachable') && events.includes('back'));
  });

  // A real power cut sends no FIN: the session goes silent and would look like a stall for
  // ever. Checked: without the port check (and recycle) in onFailure, only `stalled` comes.
  void test('a silent power cut (no FIN) is unreachable, not a stall; back afterwards', async () => {
    const r = await router();
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const watcher = new DeviceModeWatcher(endpointFor(r, { port: tap.port, timeoutMs: 800 }), {
      intervalMs: 100,
      stallAfterMs: 400,
    });
    cleanups.push(() => watcher.stop());
    const first = once(watcher, 'state');
    await watcher.start();
    await within(10_000, 'first state', first);
    const down = once(watcher, 'unreachable');
    tap.blackhole();
    await within(10_000, 'unreachable', down);
    const back = once(watcher, 'back');
    await tap.restore();
    await within(20_000, 'back', back);
    assert.equal(watcher.isStalled, false);
  });

  // Unconfirmed RouterOS behaviour: other sessions stall while a change is pending.
  void test('stalled while another session holds a pending change, stall-ended when it ends', async () => {
    const r = await router({ stallOthersWhilePending: true, timeScale: 0.05 });
    const { watcher, events } = await watch(r, { stallAfterMs: 400 });
    const stalled = once(watcher, 'stalled');
    // 60 s at scale 0.05 lasts 3 s, then the router cancels the update and answers again.
    await foreignUpdate(r, 60);
    await within(10_000, 'stalled', stalled);
    const ended = once(watcher, 'stall-ended');
    await within(15_000, 'stall-ended', ended);
    assert.equal(watcher.isStalled, false);
    assert.ok(events.includes('attempt-count-rose'), events.join(','));
    assert.ok(!events.includes('unreachable'), events.join(','));
  });

  // The simulator (like REST on real routers) does not even answer a login while a change
  // is pending: a watcher that (re)connects then sees a stall, not an outage.
  void test('a login that gets no answer while a change is pending is a stall, not an outage', async () => {
    const r = await router({ stallOthersWhilePending: true, timeScale: 0.05 });
    await foreignUpdate(r, 100);
    await until('pending', () => r.deviceMode.pending !== undefined);
    const watcher = new DeviceModeWatcher(endpointFor(r, { timeoutMs: 500 }), { intervalMs: 100, stallAfterMs: 300 });
    cleanups.push(() => watcher.stop());
    const events: string[] = [];
    for (const name of ['stalled', 'unreachable', 'back', 'stall-ended'] as const)
      watcher.on(name, () => events.push(name));
    const stalled = once(watcher, 'stalled');
    await watcher.start();
    await within(10_000, 'stalled', stalled);
    // 100 s at scale 0.05 lasts 5 s; then the login answers and the first state arrives.
    const state = once(watcher, 'state');
    await within(20_000, 'state after the stall', state);
    assert.deepEqual(events.filter((e) => e !== 'stalled').slice(0, 1), ['stall-ended']);
    assert.ok(!events.includes('unreachable'), events.join(','));
  });

  void test('without stalling (and with split replies) a pending change only raises attempt-count', async () => {
    const r = await router({
      stallOthersWhilePending: false,
      splitReplies: 'random',
      progressWhilePending: true,
      routerosVersion: '7.22',
    });
    const { watcher, events } = await watch(r, { stallAfterMs: 1000 });
    const rose = once(watcher, 'attempt-count-rose');
    await foreignUpdate(r);
    await within(10_000, 'attempt-count-rose', rose);
    await sleep(1500);
    assert.deepEqual(events, ['attempt-count-rose']);
  });
});
