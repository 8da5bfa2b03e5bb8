/** The retained topics tell the truth: after a broker that lost them, after a stop, after a restart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentKeyFromSecret } from '../../src/audit/checkpointer.js';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { checkpointJwsFrom } from '../../src/audit/verify.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { Observer } from '../helpers/mqtt-clients.js';
import { E2E } from './harness.js';

async function freshReader(e2e: E2E): Promise<Observer> {
  return Observer.connect(e2e.broker.url, [`${e2e.topics.root}/#`], {
    clientId: `reader-${Math.random().toString(36).slice(2)}`,
  });
}

void test('a broker restarted without persistence gets every retained topic back from the agent', async (t) => {
  const e2e = new E2E();
  e2e.broker = new Mosquitto({ persistence: false });
  t.after(() => e2e.stop());
  await e2e.start();
  e2e.otherClientUpdate({ enable: ['container'] });
  const challenge = await e2e.challenge();
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.checkpoint, 'first checkpoint');

  const before = e2e.observer.seen.length;
  await e2e.broker.restart();
  // The agent is back (its status again): a reader that subscribes now gets only what the broker retained.
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.status && e2e.observer.seen.indexOf(m) >= before && m.payload.includes('"online"'),
    'online again',
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const reader = await freshReader(e2e);
  t.after(() => reader.close());
  const retained = (topic: string, what: string) =>
    reader.waitFor((m) => m.topic === topic && m.retain && m.payload !== '', what, 20_000);
  assert.match((await retained(e2e.topics.status, 'status')).payload, /"online"/);
  const state = JSON.parse((await retained(e2e.topics.routerState('hap1'), 'router state')).payload) as {
    reachable: boolean;
    operation: unknown;
  };
  assert.equal(state.reachable, true);
  assert.notEqual(state.operation, null, 'the observed operation is still open');
  const again = JSON.parse((await retained(e2e.topics.challenge('hap1'), 'challenge')).payload) as {
    operationId: string;
  };
  assert.equal(again.operationId, challenge.operationId);
  await retained(e2e.topics.checkpoint, 'checkpoint');
});

void test('a clean stop: the final checkpoint covers agent-stop, and the status says offline/stopped', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const lines = readFileSync(join(e2e.site.dir, 'state', 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.equal((JSON.parse(lines.at(-1)!) as { type: string }).type, 'agent-stop');
  const reader = await freshReader(e2e);
  t.after(() => reader.close());
  const seen = await reader.waitFor((m) => m.topic === e2e.topics.checkpoint && m.retain, 'retained checkpoint');
  const publicKey = agentKeyFromSecret(e2e.site.config.agent.key!, 'pi-demo');
  const checkpoint = await verifyCheckpoint(checkpointJwsFrom(seen.payload), publicKey);
  assert.equal(checkpoint.count, lines.length, 'the last checkpoint covers every entry, agent-stop included');
  assert.match(
    (await reader.waitFor((m) => m.topic === e2e.topics.status, 'status')).payload,
    /"offline".*"stopped"|"stopped".*"offline"/,
  );
});

void test('orders queued while the agent was down are answered only after it published online', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const requestId = await e2e.publishContainerChange();
  const before = e2e.observer.seen.length;
  await e2e.startAgent();
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  const after = e2e.observer.seen.slice(before);
  const online = after.findIndex((m) => m.topic === e2e.topics.status && m.payload.includes('"online"'));
  const firstAnswer = after.findIndex((m) => m.topic === e2e.topics.progress(requestId));
  assert.ok(online >= 0 && online < firstAnswer, `online at ${online}, first answer at ${firstAnswer}`);
});

void test('the last result survives an agent restart', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const requestId = await e2e.publishContainerChange();
  assert.equal((await e2e.finalAnswer(requestId)).data.state, 'done');
  await e2e.stopAgent();
  const before = e2e.observer.seen.length;
  await e2e.startAgent();
  const seen = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.routerState('hap1') &&
      e2e.observer.seen.indexOf(m) >= before &&
      m.payload.includes('"reachable":true'),
    'router state after the restart',
  );
  const state = JSON.parse(seen.payload) as { lastResult: { state: string; requestId?: string } | null };
  assert.equal(state.lastResult?.state, 'done', seen.payload);
  assert.equal(state.lastResult?.requestId, requestId);
});

void test('the heartbeat publishes the online status and router states again with a fresh time', async (t) => {
  const e2e = new E2E();
  e2e.agentOptions = { heartbeatMs: 300 };
  t.after(() => e2e.stop());
  await e2e.start();
  const before = e2e.observer.seen.length;
  const fresh = (topic: string) =>
    e2e.observer.waitFor((m) => m.topic === topic && e2e.observer.seen.indexOf(m) >= before, topic);
  const status = JSON.parse((await fresh(e2e.topics.status)).payload) as { state: string; at: string };
  const state = JSON.parse((await fresh(e2e.topics.routerState('hap1'))).payload) as { at: string };
  assert.equal(status.state, 'online');
  for (const at of [status.at, state.at]) assert.ok(Date.now() - Date.parse(at) < 10_000, at);
});

void test('the router state never shows the device-mode from before the reboot next to done', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  // A slow poll: the watcher's last reading before the outcome is from before the reboot.
  await e2e.start({ routerConfig: { pollIntervalMs: 8000 } });
  const requestId = await e2e.publishContainerChange();
  assert.equal((await e2e.finalAnswer(requestId)).data.state, 'done');
  const withContainer = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.routerState('hap1') &&
      m.payload.includes('"container":true') &&
      m.payload.includes('"state":"done"'),
    'the state read after the reboot, next to done',
    30_000,
  );
  type State = {
    deviceMode: { features: Record<string, boolean> } | null;
    lastResult: { requestId?: string; state: string } | null;
  };
  const states = e2e.observer.seen.filter(
    (m) =>
      m.topic === e2e.topics.routerState('hap1') &&
      e2e.observer.seen.indexOf(m) <= e2e.observer.seen.indexOf(withContainer),
  );
  for (const m of states) {
    const state = JSON.parse(m.payload) as State;
    if (state.lastResult?.requestId !== requestId) continue;
    assert.notEqual(state.deviceMode?.features.container, false, `pre-reboot device-mode next to done: ${m.payload}`);
  }
});
