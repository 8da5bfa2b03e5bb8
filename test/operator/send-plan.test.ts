import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageDigest } from '../../src/mqtt/contract.js';
import { commandExpirySeconds, describePlan, planSend } from '../../src/operator/send-plan.js';
import type { SendInput } from '../../src/operator/send-plan.js';
import { signPayload } from '../../src/trust/jws.js';
import { signedPowerCycle, signedRequest, T0 } from './fixtures.js';

const { bytes, requestId } = await signedRequest('pi1');
const input = (o: Partial<SendInput> = {}): SendInput => ({
  bytes,
  base: 'dmconfirm/v1',
  site: 'lab',
  wait: true,
  timeoutMs: 600_000,
  now: T0,
  ...o,
});

void test('planSend targets the agent named in the message, and quotes the digest of the exact bytes', async () => {
  assert.equal(planSend(input()).topic, 'dmconfirm/v1/lab/pi1/request');
  assert.equal(planSend(input()).progressTopic, `dmconfirm/v1/lab/pi1/progress/${requestId}`);
  assert.equal(planSend(input()).requestId, requestId);
  assert.equal(planSend(input()).digest, messageDigest(bytes));
  assert.equal(planSend(input()).retain, false);
  assert.equal(planSend(input()).qos, 1);
  assert.equal(planSend(input({ base: 'x/y/' })).topic, 'x/y/lab/pi1/request');
  assert.equal(planSend(input({ bytes: (await signedPowerCycle()).bytes })).topic, 'dmconfirm/v1/lab/pi1/powercycle');
});

void test('planSend refuses what the agent could not use or what the operator did not mean', async () => {
  assert.throws(() => planSend(input({ agent: 'pi2' })), /--agent pi2 but the message is for agent pi1/);
  assert.throws(() => planSend(input({ kind: 'approval' })), /--kind approval but the message is a change-request/);
  assert.throws(() => planSend(input({ kind: 'bogus' })), /--kind is one of request, approval, powercycle/);
  assert.throws(() => planSend(input({ site: 'a/+' })), /cannot be an MQTT topic level/);
  assert.throws(() => planSend(input({ bytes: Buffer.from('{"payload":1') })), /not a signed dmconfirm message/);
  const draft = Buffer.from(
    JSON.stringify(
      await signPayload(
        JSON.parse(
          Buffer.from((JSON.parse(bytes.toString()) as { payload: string }).payload, 'base64url').toString(),
        ) as unknown,
        'x',
      ),
    ),
  );
  assert.throws(() => planSend(input({ bytes: draft })), /carries no signature/);
});

void test('commandExpirySeconds: the default, capped by the window end and by our wait', () => {
  assert.equal(commandExpirySeconds({}, T0), 600);
  assert.equal(commandExpirySeconds({}, T0, 120_000), 120);
  assert.equal(commandExpirySeconds({ window: { notAfter: new Date(T0 + 90_000).toISOString() } }, T0, 600_000), 90);
  assert.equal(commandExpirySeconds({ window: { notAfter: new Date(T0 - 90_000).toISOString() } }, T0), 1);
  assert.equal(commandExpirySeconds({ window: { notBefore: new Date(T0).toISOString() } }, T0), 600);
});

void test('describePlan prints topic, digest and what we follow', () => {
  assert.match(
    describePlan(planSend(input()), 'mqtt://b').join('\n'),
    /topic {4}dmconfirm\/v1\/lab\/pi1\/request {2}\(QoS 1, not retained, expires after 600s/,
  );
  assert.match(describePlan(planSend(input({ wait: false })), 'mqtt://b').join('\n'), /no --wait/);
});
