/**
 * Runs mosquitto with the shipped example ACL (config/mosquitto-acl.conf, verbatim) and
 * password authentication, and proves the isolation it promises between agents.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { agentTopics } from '../../src/mqtt/contract.js';
import { Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { Observer, linkSettings } from '../helpers/mqtt-clients.js';
import { MqttLink } from '../../src/mqtt/connection.js';
import { Secret } from '../../src/config/secret.js';

const ACL = fileURLToPath(new URL('../../config/mosquitto-acl.conf', import.meta.url));
const base = 'dmconfirm/v1';
const pi1 = agentTopics(base, 'berlin', 'pi-1');
const pi2 = agentTopics(base, 'berlin', 'pi-2');
const PASSWORD = 'correct-horse';

let broker: Mosquitto;
before(async () => {
  broker = new Mosquitto({ extraConfig: ['allow_anonymous false', `acl_file ${ACL}`] });
  const passwd = broker.writeFile('passwd', '');
  for (const user of ['pi-1', 'pi-2', 'operator-alice'])
    execFileSync('mosquitto_passwd', ['-b', passwd, user, PASSWORD]);
  broker.extraConfig.push(`password_file ${passwd}`);
  await broker.start();
});
after(async () => {
  await broker.dispose();
});

async function as(t: { after: (fn: () => Promise<void>) => void }, user: string, subscriptions: string[] = []) {
  const client = await Observer.connect(broker.url, subscriptions, {
    username: user,
    password: PASSWORD,
    clientId: `${user}-${Math.random().toString(36).slice(2)}`,
  });
  t.after(() => client.close());
  return client;
}

void test('without valid credentials nobody connects', async () => {
  await assert.rejects(Observer.connect(broker.url, [], { username: 'pi-1', password: 'wrong', reconnectPeriod: 0 }));
  await assert.rejects(Observer.connect(broker.url, [], { reconnectPeriod: 0 }));
});

void test("an agent receives its own orders and never another agent's, even through a wildcard", async (t) => {
  const agent = await as(t, 'pi-1', [pi1.request, pi2.request, `${base}/#`]);
  const operator = await as(t, 'operator-alice');
  await operator.client.publishAsync(pi2.request, 'for-pi-2', { qos: 1 });
  await operator.client.publishAsync(pi2.approval, 'approval-for-pi-2', { qos: 1 });
  await operator.client.publishAsync(pi1.request, 'for-pi-1', { qos: 1 });
  // QoS 1 from one publisher arrives in order: once pi-1's own order is here, pi-2's would have been too.
  await agent.waitFor((m) => m.payload === 'for-pi-1', 'own order');
  // Overlapping subscriptions may deliver one copy per subscription: compare the set.
  assert.deepEqual(
    [...new Set(agent.seen.map((m) => m.payload))].filter((p) => p.startsWith('for-') || p.startsWith('approval')),
    ['for-pi-1'],
  );
});

void test("an agent cannot publish another agent's status or send it orders; its own status passes", async (t) => {
  const operator = await as(t, 'operator-alice', [`${base}/#`]);
  const agent = await as(t, 'pi-1');
  for (const [topic, payload] of [
    [pi2.status, 'forged-status'],
    [pi2.request, 'forged-order'],
    [pi2.routerState('core-1'), 'forged-state'],
  ] as const) {
    // mosquitto answers a refused QoS 1 publish on MQTT 5 with a "not authorized" PUBACK, or drops it.
    await agent.client.publishAsync(topic, payload, { qos: 1, retain: true }).catch(() => undefined);
  }
  await agent.client.publishAsync(pi1.status, 'own-status', { qos: 1, retain: true });
  await operator.waitFor((m) => m.payload === 'own-status', 'own status');
  assert.deepEqual(
    operator.seen.map((m) => m.payload).filter((p) => p.startsWith('forged')),
    [],
  );
});

void test("an operator cannot forge an agent's status, state or answers", async (t) => {
  const operator = await as(t, 'operator-alice', [`${base}/#`]);
  for (const topic of [pi1.status, pi1.events, pi1.progress('req-12345678'), pi1.routerState('core-1')]) {
    await operator.client.publishAsync(topic, 'operator-forgery', { qos: 1 }).catch(() => undefined);
  }
  await operator.client.publishAsync(pi2.request, 'marker', { qos: 1 });
  await operator.waitFor((m) => m.payload === 'marker', 'marker order');
  assert.equal(operator.seen.filter((m) => m.payload === 'operator-forgery').length, 0);
});

void test('MqttLink authenticates with a password from a Secret and gets its own orders', async (t) => {
  const link = new MqttLink(
    linkSettings(broker.url, 'dmconfirm-berlin-pi-1', { username: 'pi-1', password: new Secret(PASSWORD, 'test') }),
    {
      subscriptions: [...pi1.inbound],
    },
  );
  const got: string[] = [];
  link.onMessage((m) => void got.push(m.payload.toString()));
  await link.start();
  t.after(() => link.stop());
  const operator = await as(t, 'operator-alice');
  await operator.client.publishAsync(pi1.approval, 'approval-for-pi-1', { qos: 1 });
  await waitFor(() => got.find((p) => p === 'approval-for-pi-1'), 'approval via MqttLink');
});

void test("a wrong password makes an operator tool fail with the broker's reason", async () => {
  const link = new MqttLink(
    linkSettings(broker.url, 'cli-wrong', {
      persistent: false,
      username: 'operator-alice',
      password: new Secret('nope', 'test'),
    }),
  );
  await assert.rejects(
    link.start({ timeoutMs: 3000 }),
    /within 3000 ms: .*(Not authorized|Bad User Name or Password)/i,
  );
});
