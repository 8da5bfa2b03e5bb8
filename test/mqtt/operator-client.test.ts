import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AgentChannel } from '../../src/mqtt/agent-channel.js';
import { OperatorClient, OperatorClientError } from '../../src/mqtt/operator-client.js';
import { applyFleetMessage, emptyFleet, fleetRows } from '../../src/mqtt/fleet-view.js';
import { encodePayload, type AgentResponse } from '../../src/mqtt/contract.js';
import { signPayload } from '../../src/trust/jws.js';
import { generateSigningKey } from '../../src/trust/keys.js';
import { Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { Observer, linkSettings } from '../helpers/mqtt-clients.js';

const base = 'dmconfirm/v1';
const key = generateSigningKey('op');
let broker: Mosquitto;
before(async () => {
  broker = new Mosquitto();
  await broker.start();
});
after(async () => {
  await broker.dispose();
});

async function order(requestId: string): Promise<string> {
  return JSON.stringify(await signPayload({ v: 1, requestId }, 'dmconfirm-request+jws', key));
}

void test('send follows the answers to its own bytes to the final one; a forged answer on the same id is set aside', async (t) => {
  const agent = new AgentChannel(linkSettings(broker.url, 'dmconfirm-berlin-pi-1'), { baseTopic: base, site: 'berlin', agent: 'pi-1', version: '0' });
  agent.onOrder((o) => {
    const id = o.correlation.requestId!;
    const reply = o.correlation.digest;
    void (async () => {
      // A forger who saw the id answers first, quoting other bytes.
      const forger = await Observer.connect(broker.url);
      await forger.client.publishAsync(agent.topics.progress(id), encodePayload({
        v: 1, id, at: new Date().toISOString(), status: 'error', data: { state: 'failed', final: true, inReplyTo: 'forged' }, error: { code: 'x', message: 'x' },
      }), { qos: 1 });
      await forger.close();
      for (const state of ['requesting', 'pending', 'actuating', 'rebooting', 'verifying'] as const) await agent.answer(id, { state, final: false, inReplyTo: reply });
      await agent.answer(id, { state: 'done', final: true, inReplyTo: reply });
    })();
  });
  await agent.start();
  t.after(() => agent.stop());

  const operator = new OperatorClient(linkSettings(broker.url, 'cli-1'), base);
  await operator.start();
  t.after(() => operator.stop());
  const seen: AgentResponse[] = [];
  const foreign: AgentResponse[] = [];
  const result = await operator.send({ site: 'berlin', agent: 'pi-1' }, 'request', await order('req-follow-01'), {
    onAnswer: (a) => seen.push(a), onForeign: (a) => foreign.push(a), timeoutMs: 20_000,
  });
  assert.equal(result.final?.data.state, 'done');
  assert.deepEqual(seen.map((a) => a.data.state), ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done']);
  assert.deepEqual(foreign.map((a) => a.data.inReplyTo), ['forged']);
});

void test('with nobody answering, following gives up after its timeout', async (t) => {
  const operator = new OperatorClient(linkSettings(broker.url, 'cli-2'), base);
  await operator.start();
  t.after(() => operator.stop());
  await assert.rejects(operator.send({ site: 'berlin', agent: 'nobody' }, 'approval', await order('req-nobody-1'), { timeoutMs: 500 }), OperatorClientError);
  await assert.rejects(operator.send({ site: 'berlin', agent: 'nobody' }, 'request', '{"payload":"e30","signatures":[]}'), /no usable requestId/);
});

void test('the fleet view shows each agent and router from retained messages, and follows changes', async (t) => {
  const agent = new AgentChannel(linkSettings(broker.url, 'dmconfirm-paris-pi-9'), { baseTopic: base, site: 'paris', agent: 'pi-9', version: '0' });
  await agent.start();
  await agent.publishRouterState({
    router: 'core-1', reachable: true, attemptCount: 1, flagged: false, lastResult: null,
    deviceMode: { mode: 'home', features: {}, flaggingEnabled: true, allowedVersions: '7.13+' },
    operation: { id: 'op-1', kind: 'observed', state: 'challenged', since: new Date().toISOString() },
  });
  const now = new Date().toISOString();
  await agent.publishChallenge({
    router: 'core-1', operationId: 'op-1', methods: ['power'],
    challenge: { v: 1, kind: 'challenge', challengeId: 'challenge-1', nonce: 'n'.repeat(22), agent: 'pi-9', router: { serial: 'S' }, issuedAt: now },
  }, 60);
  const operator = new OperatorClient(linkSettings(broker.url, 'cli-3'), base);
  await operator.start();
  t.after(() => operator.stop());
  const view = await operator.watchFleet();
  const row = () => fleetRows(view).find((r) => r.agent === 'paris/pi-9');
  await waitFor(() => (row()?.operation.includes('challenge open') && row()?.online === 'online' ? true : undefined), 'challenged router, online');
  assert.deepEqual(
    (({ router, mode, attempts, flagged }) => ({ router, mode, attempts, flagged }))(row()!),
    { router: 'core-1', mode: 'home', attempts: '1', flagged: 'no' },
  );
  await agent.clearChallenge('core-1');
  await agent.stop();
  await waitFor(() => (row()?.online === 'offline (stopped)' && !row()?.operation.includes('challenge open') ? true : undefined), 'offline, challenge closed');
});

void test('unreadable fleet messages are reported, not dropped; unrelated topics are ignored', () => {
  const view = emptyFleet();
  assert.equal(applyFleetMessage(view, base, `${base}/s/a/routers/r1/state`, '{"v":1}'), true);
  assert.equal(applyFleetMessage(view, base, `${base}/s/a/events`, '{}'), false);
  assert.equal(view.problems.length, 1);
  assert.deepEqual(fleetRows(view).map((r) => [r.agent, r.online, r.router]), [['s/a', '?', '-']]);
});
