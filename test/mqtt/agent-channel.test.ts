import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AgentChannel, type InboundOrder } from '../../src/mqtt/agent-channel.js';
import {
  parsePayload, responseSchema, statusSchema, routerStateSchema, eventSchema, checkpointMessageSchema, challengeMessageSchema,
  messageDigest, fleetSubscriptions,
} from '../../src/mqtt/contract.js';
import { signPayload } from '../../src/trust/jws.js';
import { generateSigningKey } from '../../src/trust/keys.js';
import { Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { Observer, linkSettings } from '../helpers/mqtt-clients.js';

const base = 'dmconfirm/v1';
let broker: Mosquitto;
before(async () => {
  broker = new Mosquitto();
  await broker.start();
});
after(async () => {
  await broker.dispose();
});

function channel(agent: string) {
  return new AgentChannel(linkSettings(broker.url, `dmconfirm-berlin-${agent}`), { baseTopic: base, site: 'berlin', agent, version: '0.1.0' });
}

void test('orders reach the handler with their correlation; answers, state and events follow the contract', async (t) => {
  const agent = channel('pi-1');
  const orders: InboundOrder[] = [];
  agent.onOrder((o) => void orders.push(o));
  await agent.start();
  t.after(() => agent.stop());
  const operator = await Observer.connect(broker.url, [...fleetSubscriptions(base), agent.topics.events, `${agent.topics.root}/progress/+`]);
  t.after(() => operator.close());

  const envelope = JSON.stringify(await signPayload({ v: 1, requestId: 'req-0001-abcd' }, 'dmconfirm-request+jws', generateSigningKey('op')));
  await operator.client.publishAsync(agent.topics.request, envelope, { qos: 1 });
  const order = await waitFor(() => orders[0], 'order');
  assert.equal(order.kind, 'request');
  assert.equal(order.payload.toString(), envelope, 'the exact bytes, for the verifier');
  assert.deepEqual(order.correlation, { requestId: 'req-0001-abcd', digest: messageDigest(envelope) });

  await agent.answer('req-0001-abcd', { state: 'pending', final: false, router: 'core-1', inReplyTo: order.correlation.digest });
  await agent.answer('req-0001-abcd', { state: 'failed', final: true, inReplyTo: order.correlation.digest }, { code: 'too-late', message: 'activation window closed' });
  await agent.publishRouterState({
    router: 'core-1', reachable: true, deviceMode: null, attemptCount: 1, flagged: false,
    operation: { id: 'op-1', kind: 'change', state: 'pending', since: new Date().toISOString(), requestId: 'req-0001-abcd' }, lastResult: null,
  });
  await agent.publishEvent({ type: 'alarm', severity: 'critical', code: 'attempt-count-rose', message: 'attempt-count rose with no request', router: 'core-1' });

  const answers = await waitFor(() => {
    const got = operator.seen.filter((m) => m.topic === agent.topics.progress('req-0001-abcd'));
    return got.length === 2 ? got : undefined;
  }, 'two answers');
  const [first, last] = answers.map((m) => parsePayload(responseSchema, m.topic, m.payload));
  assert.equal(first!.status, 'ok');
  assert.deepEqual([last!.status, last!.error?.code, last!.data.final], ['error', 'too-late', true]);
  const state = await operator.waitFor((m) => m.topic === agent.topics.routerState('core-1'), 'router state');
  assert.equal(parsePayload(routerStateSchema, state.topic, state.payload).operation?.state, 'pending');
  const event = await operator.waitFor((m) => m.topic === agent.topics.events, 'event');
  assert.equal(parsePayload(eventSchema, event.topic, event.payload).code, 'attempt-count-rose');
  const status = await operator.waitFor((m) => m.topic === agent.topics.status, 'status');
  assert.deepEqual(
    (({ state: s, agent: a, site, reason }) => ({ s, a, site, reason }))(parsePayload(statusSchema, status.topic, status.payload)),
    { s: 'online', a: 'pi-1', site: 'berlin', reason: 'started' },
  );
});

void test('a challenge is retained while open and gone once cleared; the checkpoint stays retained', async (t) => {
  const agent = channel('pi-2');
  await agent.start();
  t.after(() => agent.stop());
  const now = new Date().toISOString();
  await agent.publishChallenge({
    router: 'core-1', operationId: 'op-7', methods: ['power'],
    challenge: { v: 1, kind: 'challenge', challengeId: 'challenge-7', nonce: 'N'.repeat(22), agent: 'pi-2', router: { serial: 'HX1' }, observed: { attemptCount: 1, at: now }, issuedAt: now },
  }, 300);
  await agent.publishCheckpoint('a.b.c');
  const late = await Observer.connect(broker.url, [agent.topics.challenge('core-1'), agent.topics.checkpoint]);
  const challenge = await late.waitFor((m) => m.topic === agent.topics.challenge('core-1'), 'retained challenge');
  assert.equal(parsePayload(challengeMessageSchema, challenge.topic, challenge.payload).challenge.nonce, 'N'.repeat(22));
  await late.waitFor((m) => m.topic === agent.topics.checkpoint && parsePayload(checkpointMessageSchema, m.topic, m.payload).jws === 'a.b.c', 'checkpoint');
  await late.close();

  await agent.clearChallenge('core-1');
  const later = await Observer.connect(broker.url, [agent.topics.challenge('core-1'), agent.topics.checkpoint]);
  t.after(() => later.close());
  await later.waitFor((m) => m.topic === agent.topics.checkpoint, 'checkpoint still retained');
  // Retained messages follow the SUBACK filter by filter, in order: a challenge would have come first.
  assert.equal(later.seen.filter((m) => m.topic === agent.topics.challenge('core-1')).length, 0);
});

void test('a retained order is ignored: orders must never replay to new sessions', async (t) => {
  const operator = await Observer.connect(broker.url);
  t.after(() => operator.close());
  const agent = channel('pi-3');
  const orders: InboundOrder[] = [];
  agent.onOrder((o) => void orders.push(o));
  await operator.client.publishAsync(agent.topics.request, 'retained-order', { qos: 1, retain: true });
  await agent.start();
  t.after(() => agent.stop());
  await operator.client.publishAsync(agent.topics.approval, 'live-order', { qos: 1 });
  await waitFor(() => orders.find((o) => o.payload.toString() === 'live-order'), 'live order');
  assert.deepEqual(orders.map((o) => o.payload.toString()), ['live-order']);
  await operator.client.publishAsync(agent.topics.request, '', { qos: 1, retain: true });
});
