// Crash-only inbound, with the real daemon and real mosquitto: a bug thrown on the inbound
// path ends the process (systemd would restart it) without acknowledging the message, and
// the restarted daemon gets the same message again and carries it out, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemon } from './fault-matrix.js';
import { E2E } from './harness.js';

void test('a bug on the inbound path ends the daemon unacknowledged; restarted, it gets the same request again and acts once', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const first = await daemon(e2e, t, ['--import', './test/e2e/inbound-bug.preload.ts']);
  const jws = await e2e.site.team.changeRequest({ agent: 'pi-demo', router: e2e.router, change: { enable: ['container'] }, method: 'power', activationTimeoutSeconds: 120 });
  await e2e.publish('request', jws);
  const requestId = e2e.requestIdOf(jws);
  const exit = await first.exited();
  assert.equal(exit.code, 1, first.output);
  assert.match(first.output, /injected inbound bug/);
  assert.deepEqual(e2e.answers(requestId), [], 'nothing answered');
  assert.equal(e2e.powerCuts, 0, 'nothing acted');

  await daemon(e2e, t);
  const final = await e2e.finalAnswer(requestId, 60_000);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  await sleep(1000); // a second delivery acted on would show up by now
  assert.equal(e2e.answers(requestId).filter((a) => a.data.final).length, 1, 'outcome reported once');
  assert.equal(e2e.powerCuts, 1, 'acted once');
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on');
  assert.equal(state.deviceMode.features.container, true);
});
