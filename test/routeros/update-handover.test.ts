// An update session handed over to the operation that acts on it (UpdateRequest.handOver), on
// the simulated router: from then on the operation's reboot wait (src/agent/reboot-wait.ts) is
// the one watch of the reboot. The session reads nothing more on the shared read session, and
// settles by what the wait and the read-back saw (settleBy), as its own follow-up would have.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitForReboot, type UptimeReader } from '../../src/agent/reboot-wait.js';
import { RouterClient } from '../../src/routeros/client.js';
import type { DeviceModeState } from '../../src/routeros/device-mode.js';
import type { RouterEndpoint } from '../../src/routeros/endpoint.js';
import { requestUpdate, type RequestUpdateOptions, type UpdateRequest } from '../../src/routeros/update-request.js';
import type { SimulatedRouter } from '../../src/sim/index.js';
import { cleanupList, endpointFor, FAST_TIMING, routerStarter, sleep, TapProxy, until, within } from './support.js';

const cleanups = cleanupList();
const router = routerStarter(cleanups, { timing: FAST_TIMING });
const QUICK: RequestUpdateOptions = { pollMs: 100, acceptWindowMs: 1500, comeBackTimeoutMs: 20_000 };

/** The operation's side: its reads of the shared read session, counted apart from the session's. */
interface Operation extends UptimeReader {
  readDeviceMode(): Promise<DeviceModeState>;
  reads: number;
}

/**
 * A read session shared by the update session and the operation, as in the agent
 * (src/agent/ports.ts). `reads` counts every uptime or device-mode read on it from `count()` on.
 */
async function sharedReader(r: SimulatedRouter) {
  const reader = new RouterClient(endpointFor(r), { backoff: { initialMs: 100, maxMs: 500 } });
  cleanups.push(() => reader.stop());
  await reader.start();
  const total = { reads: 0, counting: false };
  const readResource = reader.readResource.bind(reader);
  const readDeviceMode = reader.readDeviceMode.bind(reader);
  reader.readResource = (o) => ((total.reads += total.counting ? 1 : 0), readResource(o));
  reader.readDeviceMode = (o) => ((total.reads += total.counting ? 1 : 0), readDeviceMode(o));
  const operation: Operation = {
    reads: 0,
    readResource: (o) => ((operation.reads += 1), reader.readResource(o)),
    readDeviceMode: () => ((operation.reads += 1), reader.readDeviceMode({ timeoutMs: 2000 })),
    retryNow: () => reader.retryNow(),
  };
  return { reader, total, operation, count: () => (total.counting = true) };
}

async function pendingUpdate(endpoint: RouterEndpoint, reader: RouterClient, options: RequestUpdateOptions = {}) {
  const request = requestUpdate(endpoint, { mode: 'advanced' }, 300, { ...QUICK, ...options, reader });
  await within(
    10_000,
    'pending',
    until('pending', () => request.phases.some((p) => p.phase === 'pending')),
  );
  return request;
}

/** What the change flow does from the hand-over on: act, wait for the reboot, read back, tell the session. */
async function actAndWatch(request: UpdateRequest, operation: Operation, act: () => Promise<unknown>) {
  const before = await operation.readResource({ timeoutMs: 2000 });
  const uptimeBefore = { seconds: before.uptimeSeconds, atMonoMs: performance.now() };
  request.handOver();
  await act();
  const back = await waitForReboot(operation, { uptimeBefore, timeoutMs: 20_000, pollMs: 100 });
  assert.ok(back.back && back.rebooted === true, JSON.stringify(back));
  return { rebooted: true, state: await operation.readDeviceMode() };
}

const names = (request: UpdateRequest) => request.phases.map((p) => p.phase);

void describe('update session handed over to the operation', () => {
  void test('a press: the session reads nothing while the router reboots; the read-back settles it', async () => {
    const r = await router();
    await until('router up for 3 s', () => r.uptimeMs >= 3000);
    const shared = await sharedReader(r);
    const request = await pendingUpdate(endpointFor(r), shared.reader);
    // Before the hand-over the session watches for a reboot itself (once a second).
    shared.count();
    await sleep(1500);
    assert.ok(shared.total.reads > 0, 'the session reads before the hand-over (the count sees it)');
    shared.total.reads = 0;
    const seen = await actAndWatch(request, shared.operation, () => r.pressButton(100));
    // The session had ample time to poll (its own follow-up after a drop reads every 100 ms here).
    await sleep(500);
    assert.equal(shared.total.reads - shared.operation.reads, 0, 'one watch of the reboot: the operation');
    assert.ok(shared.operation.reads > 0);
    assert.ok(!request.phases.some((p) => p.phase === 'confirmed'), 'no verdict of its own');
    request.settleBy(seen);
    const outcome = await within(5000, 'outcome', request.outcome);
    assert.ok(outcome.phase === 'confirmed' && outcome.rebooted, JSON.stringify(outcome));
    assert.equal(outcome.state.mode, 'advanced');
    assert.deepEqual(names(request), ['sent', 'pending', 'connection-dropped', 'confirmed']);
  });

  // A power cut sends no FIN and the handed-over session no longer watches: told of the
  // reboot, it ends its half-open connection at once (without it, at the activation timeout).
  void test('a silent power cut: the reboot the operation saw ends the half-open session', async () => {
    const r = await router();
    await until('router up for 3 s', () => r.uptimeMs >= 3000);
    const tap = new TapProxy(r.apiPort);
    await tap.start();
    cleanups.push(() => tap.stop());
    const shared = await sharedReader(r);
    const request = await pendingUpdate(endpointFor(r, { port: tap.port, timeoutMs: 1000 }), shared.reader);
    shared.count();
    const seen = await actAndWatch(request, shared.operation, async () => {
      tap.blackhole();
      r.powerOff();
      await sleep(400);
      r.powerOn();
    });
    await tap.restore();
    await sleep(1000);
    assert.deepEqual(names(request), ['sent', 'pending'], 'its silent connection cannot tell');
    request.settleBy(seen);
    const outcome = await within(5000, 'outcome', request.outcome);
    assert.equal(outcome.phase, 'confirmed', JSON.stringify(request.phases));
    assert.deepEqual(names(request), ['sent', 'pending', 'connection-dropped', 'confirmed']);
    assert.equal(shared.total.reads - shared.operation.reads, 0, 'one watch of the reboot: the operation');
  });

  void test('no reboot after the action: the session stays open with the change pending', async () => {
    const r = await router();
    const shared = await sharedReader(r);
    const stop = new AbortController();
    const request = await pendingUpdate(endpointFor(r), shared.reader, { signal: stop.signal });
    request.handOver();
    request.settleBy({ rebooted: false, state: await shared.reader.readDeviceMode() });
    await sleep(500);
    assert.deepEqual(names(request), ['sent', 'pending'], 'not dropped: closing it might drop the change');
    assert.notEqual(r.state().pending, null, 'still pending on the router');
    stop.abort(); // its owner gives up (own-update.ts cancels it)
    const outcome = await within(5000, 'outcome', request.outcome);
    assert.ok(outcome.phase === 'aborted' && outcome.mayStillBePending, JSON.stringify(outcome));
  });
});
