import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { EmbeddedBroker, EMBEDDED_BROKER_PROTOCOL } from '../../src/mqtt/embedded-broker.js';
import { MqttLink, type InboundMessage } from '../../src/mqtt/connection.js';
import { linkSettings } from '../helpers/mqtt-clients.js';
import { waitFor } from '../helpers/mosquitto.js';

void test('aedes refuses MQTT 5 (so the demo uses protocol 4)', async () => {
  const broker = new EmbeddedBroker();
  await broker.start();
  try {
    await assert.rejects(
      mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 }),
    );
    const v4 = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await v4.endAsync();
  } finally {
    await broker.stop();
  }
});

void test('embedded broker with protocol 4: presence and a queued request across a reconnect', async () => {
  const broker = new EmbeddedBroker();
  await broker.start();
  try {
    const settings = linkSettings(broker.url, 'demo-agent', { protocolVersion: EMBEDDED_BROKER_PROTOCOL });
    const presence = { topic: 'd/status', online: () => 'online', offline: (r: string) => `offline:${r}` };
    const first = new MqttLink(settings, { subscriptions: ['d/request'], presence });
    await first.start();
    await first.stop();
    const operator = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    await operator.publishAsync('d/request', 'queued', { qos: 1 });
    const retained: string[] = [];
    operator.on('message', (_t, p) => retained.push(p.toString()));
    await operator.subscribeAsync('d/status', { qos: 1 });
    await waitFor(() => retained.find((p) => p === 'offline:stopped'), 'retained offline');

    const second = new MqttLink(settings, { subscriptions: ['d/request'], presence });
    const got: InboundMessage[] = [];
    second.onMessage((m) => {
      got.push(m);
    });
    await second.start();
    await waitFor(() => got.find((m) => m.payload.toString() === 'queued'), 'queued request');
    await second.stop();
    await operator.endAsync();
  } finally {
    await broker.stop();
  }
});
