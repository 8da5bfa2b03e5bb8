import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';

void test('someone else requests a change: challenge, approval, power cut, verified, challenge cleared', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  assert.equal(open.router, 'hap1');
  assert.equal(open.challenge.observed?.attemptCount, 1);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('"attempt-count-rose"'),
    'attempt-count alarm',
  );

  const approval = await e2e.site.team.approval(open.challenge, {
    expect: { enable: ['container'] },
    method: 'power',
  });
  const requestId = e2e.requestIdOf(approval);
  const digest = await e2e.publish('approval', approval);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.deepEqual(
    e2e.answers(requestId).map((a) => a.data.state),
    ['actuating', 'rebooting', 'verifying', 'done'],
  );
  assert.ok(e2e.answers(requestId).every((a) => a.data.inReplyTo === digest));
  const state = e2e.site.router.state();
  assert.equal(state.deviceMode.features.container, true);
  assert.equal(state.attemptCount, 0);
  assert.deepEqual(state.faults, []);
  assert.equal(e2e.powerCuts, 1);
  // The retained challenge is gone: an empty retained payload removed it.
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.challenge('hap1') && m.payload === '', 'challenge cleared');
});

void test('an approval for a change the router already ended (end assumed): pressed, no reboot', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  // the router ends it after 10 s; the agent assumes longer
  const update = e2e.otherClientUpdate({ enable: ['container'] }, 10);
  const open = await e2e.challenge();
  assert.equal(open.endAssumed, true, 'the agent cannot see the end of someone else’s change');
  await update.outcome.catch(() => undefined); // "update canceled": nothing is pending any more
  const approval = await e2e.site.team.approval(open.challenge, {
    expect: { enable: ['container'] },
    method: 'button',
  });
  const requestId = e2e.requestIdOf(approval);
  await e2e.publish('approval', approval);
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.match(
    final.data.detail ?? '',
    /button pressed, and the router did not reboot: no change was pending any more/,
  );
  assert.doesNotMatch(final.data.detail ?? '', /did not reach it \(/);
  assert.equal(e2e.presses, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.container, false);
});

void test('a change requested right after our verified reboot is seen, same attempt-count as before it', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  // The router answers 3 s more after the press: the watcher (300 ms polls) surely reads our own
  // pending update (attempt-count 1) as its last reading before the reboot.
  const timing = { bootMs: 2000, shutdownMs: 1000, minOffMs: 1500, answersAfterPressMs: 3000 };
  await e2e.start({ routerConfig: { pollIntervalMs: 300 }, router: { timing } });
  const router = e2e.site.router;
  // The watcher gets no reading from the reboot until someone else's request, while the flow
  // reads what it needs: from the shutdown until "verifying" every device-mode print is the
  // watcher's (the flow reads only uptime then); from "verifying" on, every uptime read is.
  let phase: 'before' | 'down' | 'verified' | 'open' = 'before';
  router.on('shutdown', () => {
    if (phase === 'before') phase = 'down';
  });
  // Spies (they never drop): after the press and before the shutdown, only the watcher reads
  // device-mode; a device-mode print followed by an uptime read is one whole reading of it.
  let pressed = false;
  let printed = false;
  let watcherReadPending = false;
  router.on('button', (e: { down: boolean }) => (pressed ||= e.down));
  const spy = (command: string, seen: () => void) =>
    router.dropOn({
      command,
      times: Infinity,
      onlyIf: () => {
        if (pressed && phase === 'before') seen();
        return false;
      },
    });
  spy('/system/device-mode/print', () => (printed = true));
  spy('/system/resource/print', () => (watcherReadPending ||= printed));
  router.dropOn({
    command: '/system/device-mode/print',
    when: 'before',
    times: Infinity,
    onlyIf: () => phase === 'down',
  });
  router.dropOn({
    command: '/system/resource/print',
    when: 'before',
    times: Infinity,
    onlyIf: () => phase === 'verified',
  });
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'button',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"verifying"'),
    'verifying',
  );
  phase = 'verified';
  assert.equal((await e2e.finalAnswer(requestId)).data.state, 'done');
  assert.ok(watcherReadPending, "the watcher's last reading before the reboot showed attempt-count 1");
  const before = e2e.observer.seen.length;
  // Someone else's request (WinBox, say) reaches the router before the watcher's next reading.
  void router.deviceMode.request({ features: { fetch: true } }, 120_000, 9999).catch(() => undefined);
  await waitFor(() => (router.state().attemptCount === 1 ? true : undefined), 'someone else’s request pending');
  phase = 'open';
  const open = await e2e.challenge(before);
  assert.equal(open.challenge.observed?.attemptCount, 1);
  assert.equal(e2e.events('attempt-count-rose').length, 1);
});
