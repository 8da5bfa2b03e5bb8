import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import selfsigned from 'selfsigned';
import { MqttLink, type InboundMessage } from '../../src/mqtt/connection.js';
import { agentTopics } from '../../src/mqtt/contract.js';
import { Secret } from '../../src/config/secret.js';
import { Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { Observer, linkSettings } from '../helpers/mqtt-clients.js';

const ACL = fileURLToPath(new URL('../../config/mosquitto-acl.conf', import.meta.url));
const ec = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

async function authority(name: string) {
  return selfsigned.generate([{ name: 'commonName', value: name }], {
    ...ec,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
}

async function leaf(cn: string, ca: { private: string; cert: string }, server: boolean) {
  return selfsigned.generate([{ name: 'commonName', value: cn }], {
    ...ec,
    ca: { key: ca.private, cert: ca.cert },
    extensions: server
      ? [
          { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
          { name: 'extKeyUsage', serverAuth: true },
        ]
      : [{ name: 'extKeyUsage', clientAuth: true }],
  });
}

let broker: Mosquitto;
let files: Record<string, string>;
before(async () => {
  const ca = await authority('dmconfirm-test-ca');
  const rogue = await authority('rogue-ca');
  const server = await leaf('broker', ca, true);
  const agent = await leaf('pi-1', ca, false);
  const operator = await leaf('operator-alice', ca, false);
  broker = new Mosquitto({ extraConfig: [] });
  files = {
    ca: broker.writeFile('ca.pem', ca.cert),
    rogueCa: broker.writeFile('rogue-ca.pem', rogue.cert),
    agentCert: broker.writeFile('pi-1.pem', agent.cert),
    agentKey: agent.private,
    operatorCert: broker.writeFile('op.pem', operator.cert),
    operatorKey: broker.writeFile('op.key', operator.private),
  };
  broker.extraConfig.push(
    `cafile ${files.ca}`,
    `certfile ${broker.writeFile('server.pem', server.cert)}`,
    `keyfile ${broker.writeFile('server.key', server.private)}`,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous false',
    `acl_file ${ACL}`,
  );
  await broker.start();
});
after(async () => {
  await broker.dispose();
});

function settings(ca: string) {
  return linkSettings(`mqtts://127.0.0.1:${broker.port}`, 'dmconfirm-berlin-pi-1', {
    ca,
    cert: files.agentCert,
    clientKey: new Secret(files.agentKey!, 'test'),
  });
}

void test('TLS with a client certificate: the certificate CN is the identity the ACL sees', async (t) => {
  const topics = agentTopics('dmconfirm/v1', 'berlin', 'pi-1');
  const link = new MqttLink(settings(files.ca!), { subscriptions: topics.inbound as string[] });
  const got: InboundMessage[] = [];
  link.onMessage((m) => void got.push(m));
  await link.start();
  t.after(() => link.stop());
  const operator = await Observer.connect(`mqtts://127.0.0.1:${broker.port}`, [], {
    ca: readFileSync(files.ca!),
    cert: readFileSync(files.operatorCert!),
    key: readFileSync(files.operatorKey!),
    rejectUnauthorized: true,
  });
  t.after(() => operator.close());
  await operator.client.publishAsync(topics.request, 'signed-order', { qos: 1 });
  await waitFor(() => got.find((m) => m.payload.toString() === 'signed-order'), 'order over TLS');
});

void test('a broker whose certificate is not from our CA is refused', async (t) => {
  const link = new MqttLink(settings(files.rogueCa!));
  const errors: Error[] = [];
  link.on('error', (e) => errors.push(e));
  const started = link.start();
  t.after(() => link.stop());
  await waitFor(
    () => errors.find((e) => /certificate|self.signed|unable to verify/i.test(e.message)),
    'TLS verification error',
  );
  assert.equal(link.connected, false);
  await link.stop();
  await assert.rejects(started, /stopped before connecting/);
});
