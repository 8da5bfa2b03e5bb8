import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from './harness.js';
import { labReport } from './behaviour-reports.js';

async function requestVerified(e2e: E2E, method: 'button' | 'power'): Promise<void> {
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method,
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  const state = e2e.site.router.state();
  assert.equal(state.deviceMode.features.container, true);
  assert.equal(state.attemptCount, 0);
  assert.deepEqual(state.faults, []);
  assert.equal(e2e.powerCuts + e2e.presses, 1, 'acted once');
}

void test('a router whose other sessions stall while a change is pending: the request ends verified', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { stallOthersWhilePending: true } });
  await requestVerified(e2e, 'power');
});

void test('a router that stalls other sessions, confirmed by the button', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { stallOthersWhilePending: true } });
  await requestVerified(e2e, 'button');
});

void test('a router that sends progress sentences while a change is pending: the request ends verified', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { progressWhilePending: true } });
  await requestVerified(e2e, 'power');
});

void test("someone else's change on a router that stalls other sessions: challenged, approved, verified", async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { stallOthersWhilePending: true } });
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  assert.equal(open.challenge.observed?.attemptCount, 1);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('"attempt-count-rose"'),
    'alarm',
  );
  const approval = await e2e.site.team.approval(open.challenge, {
    expect: { enable: ['container'] },
    method: 'power',
  });
  const requestId = e2e.requestIdOf(approval);
  await e2e.publish('approval', approval);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  const state = e2e.site.router.state();
  assert.equal(state.deviceMode.features.container, true);
  assert.equal(state.attemptCount, 0);
  assert.equal(e2e.powerCuts, 1);
});

/** Makes the simulated router slow (other sessions stall, attempt-count unchanged, nothing pending) for the given time.
 * */
function slowDown(e2e: E2E): (ms: number) => void {
  const engine = e2e.site.router.deviceMode;
  // Slow, not pending: other sessions get no answer for a while, attempt-count unchanged.
  let slowUntil = 0;
  const proto = Object.getPrototypeOf(engine) as object;
  const realPending = (
    Object.getOwnPropertyDescriptor(proto, 'pending')!.get as (this: typeof engine) => typeof engine.pending
  ).bind(engine);
  const realIdle = engine.whenIdle.bind(engine);
  Object.defineProperty(engine, 'pending', {
    get: () => (performance.now() < slowUntil ? { sessionId: -1 } : realPending()),
    configurable: true,
  });
  engine.whenIdle = () =>
    performance.now() < slowUntil
      ? new Promise((resolve) => setTimeout(resolve, slowUntil - performance.now()))
      : realIdle();
  return (ms) => {
    slowUntil = performance.now() + ms;
  };
}

void test('a merely slow router (3.5 s stalls, nothing pending) opens no challenge: needs two signals', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { stallOthersWhilePending: true }, routerConfig: { pollIntervalMs: 500 } });
  const slow = slowDown(e2e);
  slow(3500);
  await new Promise((resolve) => setTimeout(resolve, 9000));
  assert.deepEqual(e2e.events('attempt-count-rose'), []);
  assert.equal(
    e2e.observer.seen.filter((m) => m.topic === e2e.topics.challenge('hap1') && m.payload !== '').length,
    0,
    'no challenge',
  );
  // Still watching: a real change by someone else is challenged (the stall lasts).
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge(0, 30_000);
  assert.equal(open.router, 'hap1');
});

void test('a router slow for 8 s on a version that answers while pending: never a challenge', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  e2e.agentOptions = { behaviourReports: labReport({ stallOthersWhilePending: false }) };
  await e2e.start({ router: { stallOthersWhilePending: true }, routerConfig: { pollIntervalMs: 500 } });
  // Longer than the second signal (a stall lasting 5 s): unknown versions would be challenged.
  slowDown(e2e)(8000);
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  assert.deepEqual(e2e.events('attempt-count-rose'), []);
  assert.equal(
    e2e.observer.seen.filter((m) => m.topic === e2e.topics.challenge('hap1') && m.payload !== '').length,
    0,
    'no challenge',
  );
});
