// Our own update after a failed operation (#15 items 2 and 3): its attempt-count rise is
// never taken for someone else's change, and whatever may still be pending is cancelled by
// us where RouterOS is known to allow it, or challenged and alarmed until its deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';
import { reportThatCancels } from './behaviour-reports.js';

const DEVICE_MODE_PRINT = '/system/device-mode/print';

async function request(
  e2e: E2E,
  activationTimeoutSeconds: number,
  feature: 'container' | 'fetch' = 'container',
): Promise<{ requestId: string; final: AgentResponse }> {
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: [feature] },
    method: 'power',
    activationTimeoutSeconds,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  return { requestId, final: await e2e.finalAnswer(requestId, 90_000) };
}

/** The agent's read of attempt-count reached `n` (its retained router state says so). */
async function agentRead(e2e: E2E, attemptCount: number): Promise<void> {
  const topic = e2e.topics.routerState('hap1');
  await waitFor(
    () =>
      e2e.observer.seen.some((m) => m.topic === topic && m.payload.includes(`"attemptCount":${attemptCount}`)) ||
      undefined,
    `agent read attempt-count ${attemptCount}`,
    60_000,
  );
}

function assertUntouched(e2e: E2E): void {
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on');
  assert.equal(state.button.down, false);
  assert.deepEqual({ powerCuts: e2e.powerCuts, presses: e2e.presses }, { powerCuts: 0, presses: 0 });
}

void test('reads before acting cut, our update pending: challenged as our own, orders refused meanwhile', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const router = e2e.site.router;
  router.dropOn({
    command: DEVICE_MODE_PRINT,
    when: 'after',
    times: Infinity,
    onlyIf: () => router.deviceMode.pending !== undefined,
  });
  const seenBefore = e2e.observer.seen.length;
  const { requestId, final } = await request(e2e, 20);
  assert.equal(final.error?.code, 'router-unreachable', JSON.stringify(final));
  const open = await e2e.challenge(seenBefore);
  assert.equal(open.endAssumed, false, 'we set the activation timeout ourselves: its end is known');
  const own = e2e.events('own-update-pending');
  assert.equal(own.length, 1, JSON.stringify(e2e.events()));
  assert.match(own[0]!.message, new RegExp(requestId));
  // Another order meanwhile: a second update would cancel both; refused with what is pending, nothing used.
  const again = await request(e2e, 60, 'fetch');
  assert.equal(again.final.error?.code, 'pending-change', JSON.stringify(again.final));
  // The update ends at its timeout; the agent then reads attempt-count 1: ours, no alarm.
  await waitFor(() => router.state().pending === null || undefined, 'our update ended on the router', 60_000);
  router.injected.clearRules();
  await agentRead(e2e, 1);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.challenge('hap1') && m.payload === '',
    'challenge cleared',
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1500)); // a few more polls
  assert.deepEqual(e2e.events('attempt-count-rose'), [], 'our own update is never someone else’s');
  assertUntouched(e2e);
  const next = await request(e2e, 60, 'fetch');
  assert.equal(next.final.error, undefined, JSON.stringify(next.final));
});

void test('reads before acting cut, on a version that cancels abandoned updates: we cancel ours at once', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  e2e.agentOptions = { behaviourReports: reportThatCancels() };
  await e2e.start({ router: { abandonedUpdate: 'cancels' } });
  const router = e2e.site.router;
  router.dropOn({
    command: DEVICE_MODE_PRINT,
    when: 'after',
    times: Infinity,
    onlyIf: () => router.deviceMode.pending !== undefined,
  });
  const { final } = await request(e2e, 120);
  assert.equal(final.error?.code, 'router-unreachable', JSON.stringify(final));
  // Cancelled by us (the update's session sent /cancel and closed), long before its 120 s timeout.
  await waitFor(() => router.state().pending === null || undefined, 'our update cancelled', 5000);
  assert.equal(router.state().attemptCount, 1);
  await agentRead(e2e, 1);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.deepEqual(
    e2e.events().filter((e) => e.type === 'alarm' || e.type === 'security'),
    [],
  );
  assert.ok(
    !e2e.observer.seen.some((m) => m.topic === e2e.topics.challenge('hap1') && m.payload !== ''),
    'no challenge',
  );
  assertUntouched(e2e);
});

void test("the update's own connection cut, the router keeps it: update-failed, challenged, approved", async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ router: { abandonedUpdate: 'stays-pending' } });
  const router = e2e.site.router;
  router.dropOn({ command: '/system/device-mode/update', when: 'after' });
  const seenBefore = e2e.observer.seen.length;
  const { final } = await request(e2e, 120);
  assert.equal(final.error?.code, 'update-failed', JSON.stringify(final));
  assert.notEqual(router.state().pending, null, 'still pending on the router');
  const open = await e2e.challenge(seenBefore);
  assert.equal(open.endAssumed, false);
  assert.equal(open.challenge.observed?.attemptCount, 1);
  assert.equal(e2e.events('own-update-pending').length, 1, JSON.stringify(e2e.events()));
  assert.deepEqual(e2e.events('attempt-count-rose'), []);
  const approval = await e2e.site.team.approval(open.challenge, {
    expect: { enable: ['container'] },
    method: 'power',
  });
  const approved = e2e.requestIdOf(approval);
  await e2e.publish('approval', approval);
  const done = await e2e.finalAnswer(approved);
  assert.equal(done.data.state, 'done', JSON.stringify(e2e.answers(approved)));
  assert.equal(router.state().deviceMode.features.container, true);
  assert.equal(e2e.powerCuts, 1);
});
