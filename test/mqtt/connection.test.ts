import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MqttLink, type InboundMessage } from '../../src/mqtt/connection.js';
import { Mosquitto, waitFor, sleep, freePort } from '../helpers/mosquitto.js';
import { Observer, linkSettings, LinkChild } from '../helpers/mqtt-clients.js';

let broker: Mosquitto;
before(async () => {
  broker = new Mosquitto();
  await broker.start();
});
after(async () => {
  await broker.dispose();
});

function presence(topic: string) {
  return {
    topic,
    online: () => JSON.stringify({ state: 'online' }),
    offline: (reason: string) => JSON.stringify({ state: 'offline', reason }),
  };
}

function collect(link: MqttLink): InboundMessage[] {
  const got: InboundMessage[] = [];
  link.onMessage((m) => {
    got.push(m);
  });
  return got;
}

for (const protocolVersion of [5, 4] as const) {
  void test(`v${protocolVersion}: a request published while the agent is away arrives when it is back`, async () => {
    const topic = `t/persist${protocolVersion}/request`;
    const settings = linkSettings(broker.url, `agent-persist-${protocolVersion}`, { protocolVersion });
    const first = new MqttLink(settings, { subscriptions: [topic] });
    collect(first);
    await first.start();
    await first.stop();

    const operator = await Observer.connect(broker.url);
    await operator.client.publishAsync(topic, 'while-away', { qos: 1 });

    const second = new MqttLink(settings, { subscriptions: [topic] });
    const got = collect(second);
    await second.start();
    const message = await waitFor(() => got.find((m) => m.payload.toString() === 'while-away'), 'queued request');
    assert.equal(message.topic, topic);
    await second.stop();
    await operator.close();
  });
}

void test('a message older than its expiry is dropped by the broker, a fresh one is delivered', async () => {
  const topic = 't/expiry/request';
  const settings = linkSettings(broker.url, 'agent-expiry');
  const first = new MqttLink(settings, { subscriptions: [topic] });
  await first.start();
  await first.stop();
  const operator = new MqttLink(linkSettings(broker.url, 'operator-expiry', { persistent: false }));
  await operator.start();
  await operator.publish(topic, 'stale', { expirySeconds: 1 });
  await operator.publish(topic, 'fresh', { expirySeconds: 300 });
  await sleep(2500);
  const second = new MqttLink(settings, { subscriptions: [topic] });
  const got = collect(second);
  await second.start();
  await waitFor(() => got.find((m) => m.payload.toString() === 'fresh'), 'fresh request');
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['fresh'],
  );
  await second.stop();
  await operator.stop();
});

void test('clean stop publishes retained offline before disconnecting, and no last will follows', async () => {
  const status = 't/clean/status';
  const link = new MqttLink(linkSettings(broker.url, 'agent-clean'), { presence: presence(status) });
  await link.start();
  const watcher = await Observer.connect(broker.url, [status]);
  await watcher.waitFor((m) => m.payload.includes('online'), 'online status');
  await link.stop();
  await watcher.waitFor((m) => m.payload.includes('"stopped"'), 'offline on stop');
  await watcher.close();
  // A newcomer sees the retained value: offline because stopped, not a last will.
  const late = await Observer.connect(broker.url, [status]);
  const retained = await late.waitFor((m) => m.retain, 'retained status');
  assert.deepEqual(JSON.parse(retained.payload), { state: 'offline', reason: 'stopped' });
  await late.close();
});

void test('abrupt death of the client: the broker publishes the retained last will', async () => {
  const status = 't/will/status';
  const child = await LinkChild.start({
    settings: linkSettings(broker.url, 'agent-will'),
    presenceTopic: status,
    subscriptions: [],
  });
  const watcher = await Observer.connect(broker.url, [status]);
  await watcher.waitFor((m) => m.payload.includes('online'), 'online status');
  await child.kill('SIGKILL');
  await watcher.waitFor((m) => m.payload.includes('connection-lost'), 'last will');
  await watcher.close();
  const late = await Observer.connect(broker.url, [status]);
  const retained = await late.waitFor((m) => m.retain, 'retained status');
  assert.deepEqual(JSON.parse(retained.payload), { state: 'offline', reason: 'connection-lost' });
  await late.close();
});

void test('a message whose handler never finished is redelivered to the restarted agent', async () => {
  const topic = 't/ack/request';
  const settings = linkSettings(broker.url, 'agent-ack');
  const child = await LinkChild.start({ settings, presenceTopic: 't/ack/status', subscriptions: [topic], hang: true });
  const operator = await Observer.connect(broker.url);
  await operator.client.publishAsync(topic, 'order-1', { qos: 1 });
  await waitFor(() => child.lines.find((l) => l.payload === 'order-1'), 'child got the order');
  await child.kill('SIGKILL');

  const link = new MqttLink(settings, { subscriptions: [topic] });
  const got = collect(link);
  await link.start();
  const again = await waitFor(() => got.find((m) => m.payload.toString() === 'order-1'), 'redelivered order');
  assert.equal(again.duplicate, true);
  await link.stop();
  await operator.close();
});

void test('broker restart: the link reconnects, keeps its session, resubscribes when the session is lost', async () => {
  const topic = 't/restart/request';
  const status = 't/restart/status';
  const link = new MqttLink(linkSettings(broker.url, 'agent-restart'), {
    subscriptions: [topic],
    presence: presence(status),
  });
  const got = collect(link);
  let connects = 0;
  link.on('connected', () => (connects += 1));
  await link.start();
  connects = 0;

  // 1. Broker restarts with its persistence: the session (subscription) survives.
  await broker.restart();
  await waitFor(() => (connects >= 1 ? true : undefined), 'reconnect after restart', 30_000);
  let operator = await Observer.connect(broker.url);
  await operator.client.publishAsync(topic, 'after-restart', { qos: 1 });
  await waitFor(() => got.find((m) => m.payload.toString() === 'after-restart'), 'message after restart');
  await operator.close();

  // 2. Broker restarts with its state wiped: the link must subscribe again by itself.
  await broker.restart({ wipe: true });
  await waitFor(() => (connects >= 2 ? true : undefined), 'reconnect after wipe', 30_000);
  operator = await Observer.connect(broker.url, [status]);
  // Birth message again: a wiped broker lost the retained online status.
  await operator.waitFor((m) => m.retain && m.payload.includes('online'), 'online republished');
  // The resubscription races our publish; publish until it arrives.
  const deadline = Date.now() + 20_000;
  while (!got.some((m) => m.payload.toString() === 'after-wipe')) {
    assert.ok(Date.now() < deadline, 'message after wipe never arrived: no resubscription');
    await operator.client.publishAsync(topic, 'after-wipe', { qos: 1 });
    await sleep(200);
  }
  await operator.close();
  await link.stop();
});

void test('an operator tool gives up after its timeout with the reason, and leaves nothing running', async () => {
  const port = await freePort();
  const link = new MqttLink(linkSettings(`mqtt://127.0.0.1:${port}`, 'cli-timeout', { persistent: false }));
  await assert.rejects(
    link.start({ timeoutMs: 1500 }),
    /no connection to mqtt:\/\/127\.0\.0\.1:\d+ within 1500 ms: .*ECONNREFUSED/,
  );
  assert.equal(link.connected, false);
});

void test('a handler that never finishes is acknowledged late instead of stalling every later message', async () => {
  const topic = 't/stuck/request';
  const link = new MqttLink(linkSettings(broker.url, 'agent-stuck'), { subscriptions: [topic], handlerTimeoutMs: 300 });
  const got: string[] = [];
  link.onMessage(async (m) => {
    got.push(m.payload.toString());
    if (m.payload.toString() === 'stuck') await new Promise(() => undefined);
  });
  await link.start();
  const operator = await Observer.connect(broker.url);
  await operator.client.publishAsync(topic, 'stuck', { qos: 1 });
  await operator.client.publishAsync(topic, 'next', { qos: 1 });
  await waitFor(() => got.find((p) => p === 'next'), 'the message after the stuck one');
  await link.stop();
  await operator.close();
});

for (const protocolVersion of [5, 4] as const) {
  void test(`v${protocolVersion}: a throwing handler is not acked: the owner is told; redelivered`, async () => {
    const topic = `t/crash-only${protocolVersion}/request`;
    const settings = linkSettings(broker.url, `agent-crash-only-${protocolVersion}`, { protocolVersion });
    const first = new MqttLink(settings, { subscriptions: [topic] });
    const tries: string[] = [];
    first.onMessage((m) => {
      tries.push(m.payload.toString());
      if (m.payload.toString() === 'order') throw new Error('a bug on the inbound path');
    });
    const failed = new Promise<[Error, string]>((resolve) =>
      first.once('handler-failed', (error, on) => resolve([error, on])),
    );
    await first.start();
    const operator = await Observer.connect(broker.url);
    await operator.client.publishAsync(topic, 'order', { qos: 1 });
    const [error, on] = await failed;
    assert.match(error.message, /a bug on the inbound path/);
    assert.equal(on, topic);
    // The link stays usable while its owner stops (acks of later messages, its own publishes).
    await operator.client.publishAsync(topic, 'later', { qos: 1 });
    await waitFor(() => tries.find((p) => p === 'later'), 'the message after the failed one');
    await first.stop();
    assert.deepEqual(tries, ['order', 'later']);

    const second = new MqttLink(settings, { subscriptions: [topic] });
    const got = collect(second);
    await second.start();
    const again = await waitFor(
      () => got.find((m) => m.payload.toString() === 'order'),
      'the unacknowledged message, again',
    );
    assert.equal(again.duplicate, true);
    await sleep(300);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['order'],
      'only the unacknowledged one comes again',
    );
    await second.stop();
    await operator.close();
  });
}

void test('stop while the broker is down does not wait for acknowledgements that cannot come', async () => {
  const own = new Mosquitto();
  await own.start();
  const link = new MqttLink(linkSettings(own.url, 'agent-stop-down'), { presence: presence('t/down/status') });
  await link.start();
  const gone = new Promise<void>((resolve) => link.once('disconnected', () => resolve()));
  await own.dispose();
  await gone;
  void link.publish('t/down/events', 'queued while down').catch(() => undefined);
  const started = Date.now();
  await link.stop({ timeoutMs: 20_000 });
  assert.ok(Date.now() - started < 10_000, 'stop waited for a broker that is not there');
  assert.equal(link.connected, false);
});

void test('an order queued for an absent agent survives a broker restart', async () => {
  const own = new Mosquitto();
  await own.start();
  const topic = 't/queued-restart/request';
  const settings = linkSettings(own.url, 'agent-queued-restart');
  const first = new MqttLink(settings, { subscriptions: [topic] });
  await first.start();
  await first.stop();
  const operator = await Observer.connect(own.url);
  await operator.client.publishAsync(topic, 'queued-before-restart', { qos: 1 });
  await operator.close();
  await own.restart();
  const second = new MqttLink(settings, { subscriptions: [topic] });
  const got = collect(second);
  await second.start();
  await waitFor(
    () => got.find((m) => m.payload.toString() === 'queued-before-restart'),
    'order queued across the restart',
  );
  await second.stop();
  await own.dispose();
});
