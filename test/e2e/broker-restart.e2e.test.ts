import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';
import { journalFile } from './state-files.js';

void test('the broker goes away while the router reboots: the operation completes, answers come after', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  const digest = await e2e.publish('request', jws);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"rebooting"'),
    'rebooting',
  );

  await e2e.broker.stop();
  // The operation ends while nobody can hear it: the journal entry goes when the outcome is recorded.
  const journal = journalFile(join(e2e.site.dir, 'state'), 'hap1');
  await waitFor(() => (existsSync(journal) ? undefined : true), 'operation finished offline', 30_000);
  assert.equal(
    e2e.answers(requestId).some((a) => a.data.final),
    false,
    'no final answer while the broker is down',
  );
  await e2e.broker.start();

  const final = await e2e.finalAnswer(requestId, 30_000);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.equal(final.data.inReplyTo, digest);
  assert.deepEqual(
    e2e.answers(requestId).map((a) => a.data.state),
    ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done'],
  );
  assert.equal(e2e.powerCuts, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
  // The retained state follows too: back online, last result done.
  await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.routerState('hap1') &&
      m.payload.includes('"lastResult":{') &&
      m.payload.includes('"state":"done"'),
    'router state with the result',
  );
});

void test('a broker restart while the power is cut: one final answer, acted once', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['fetch'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const requestId = e2e.requestIdOf(jws);
  await e2e.publish('request', jws);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"actuating"'),
    'actuating',
  );
  await e2e.broker.restart();
  const final = await e2e.finalAnswer(requestId, 40_000);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.equal(e2e.answers(requestId).filter((a) => a.data.final).length, 1);
  assert.equal(e2e.powerCuts, 1);
  assert.deepEqual(e2e.site.router.state().faults, []);
});
