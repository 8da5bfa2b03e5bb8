import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentTopics,
  parseTopic,
  fleetSubscriptions,
  TopicError,
  inboundCorrelation,
  messageDigest,
  parsePayload,
  ContractError,
  responseSchema,
  challengeMessageSchema,
  statusSchema,
  isFinal,
  type AgentResponse,
} from '../../src/mqtt/contract.js';
import { signPayload } from '../../src/trust/jws.js';
import { generateSigningKey } from '../../src/trust/keys.js';

const base = 'dmconfirm/v1';

void test('every topic of an agent parses back to what built it', () => {
  const t = agentTopics(`${base}/`, 'berlin', 'pi-1');
  assert.equal(t.root, 'dmconfirm/v1/berlin/pi-1');
  const cases: Array<[string, object]> = [
    [t.status, { kind: 'status' }],
    [t.events, { kind: 'events' }],
    [t.checkpoint, { kind: 'checkpoint' }],
    [t.request, { kind: 'request' }],
    [t.approval, { kind: 'approval' }],
    [t.powercycle, { kind: 'powercycle' }],
    [t.cancel, { kind: 'cancel' }],
    [t.scheduled, { kind: 'scheduled' }],
    [t.release, { kind: 'release' }],
    [t.routerState('core-1'), { kind: 'routerState', router: 'core-1' }],
    [t.challenge('core-1'), { kind: 'challenge', router: 'core-1' }],
    [t.orderChallenge('core-1'), { kind: 'orderChallenge', router: 'core-1' }],
    [t.challengeRequest, { kind: 'challengeRequest' }],
    [t.progress('req_1:a'), { kind: 'progress', requestId: 'req_1:a' }],
  ];
  for (const [topic, expected] of cases) {
    assert.deepEqual(parseTopic(base, topic), { site: 'berlin', agent: 'pi-1', ...expected }, topic);
  }
  assert.deepEqual(t.inbound, [t.request, t.approval, t.powercycle, t.cancel, t.release, t.challengeRequest]);
});

void test('topics that are not ours, or malformed, do not parse', () => {
  for (const topic of [
    'other/berlin/pi-1/status',
    `${base}/berlin/pi-1/nope`,
    `${base}/berlin/pi-1/routers/r/other`,
    `${base}/berlin/status`,
    `${base}/b/a/progress/x/y`,
  ]) {
    assert.equal(parseTopic(base, topic), undefined, topic);
  }
});

void test('values that would reshape a topic are refused', () => {
  assert.throws(() => agentTopics(base, 'site/evil', 'a'), TopicError);
  assert.throws(() => agentTopics(base, 's', '+'), TopicError);
  assert.throws(() => agentTopics(base, 's', 'a').progress('#'), TopicError);
  assert.throws(() => agentTopics(base, 's', 'a').routerState(''), TopicError);
  assert.throws(() => agentTopics('a/#', 's', 'a'), TopicError);
  assert.deepEqual(fleetSubscriptions(base), [
    `${base}/+/+/status`,
    `${base}/+/+/routers/+/state`,
    `${base}/+/+/routers/+/challenge`,
    `${base}/+/+/scheduled`,
  ]);
});

void test("an inbound message's correlation: request id from the signed payload, digest of the bytes", async () => {
  const key = generateSigningKey('alice');
  const envelope = await signPayload(
    { v: 1, requestId: 'abcdefgh-1234', kind: 'change-request' },
    'dmconfirm-request+jws',
    key,
  );
  const bytes = Buffer.from(JSON.stringify(envelope));
  const c = inboundCorrelation(bytes);
  assert.equal(c.requestId, 'abcdefgh-1234');
  assert.equal(c.digest, messageDigest(bytes));
  // One byte of whitespace changes the digest, so answers name the exact message.
  assert.notEqual(inboundCorrelation(Buffer.concat([bytes, Buffer.from(' ')])).digest, c.digest);
  assert.equal(inboundCorrelation('not json').requestId, undefined);
  const evil = { payload: Buffer.from(JSON.stringify({ requestId: 'x/#' })).toString('base64url'), signatures: [] };
  assert.equal(inboundCorrelation(JSON.stringify(evil)).requestId, undefined);
});

// The correlation reads a message with the verifier's strict parser: whatever the verifier would
// read differently (or refuse) names no request id, so no answer lands on another operation's topic.
void test('the correlation names no request id for a message two parsers could read differently', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  const envelope = (payload: string, extra = '') => `{"payload":"${payload}"${extra},"signatures":[]}`;
  assert.equal(inboundCorrelation(envelope(b64('{"requestId":"abcdefgh-1"}'))).requestId, 'abcdefgh-1');
  const unread = [
    envelope(b64('{"requestId":"abcdefgh-1","requestId":"abcdefgh-2"}')), // duplicate member in the payload
    envelope(b64('{"requestId":"abcdefgh-1"}'), `,"payload":"${b64('{"requestId":"abcdefgh-2"}')}"`), // two payloads
    envelope(b64('{"__proto__":{},"requestId":"abcdefgh-1"}')),
    envelope(b64('{"requestId":"abcdefgh-1","n":1.0}')), // a non-canonical number
    envelope(b64('{"requestId":"abcdefgh-1"}') + '='), // padded: not the base64url the verifier accepts
    envelope(b64('{"requestId":"abcdefgh-1"}').replace(/^./, '$&.')), // a character base64url does not have
    `{"__proto__":{"payload":"${b64('{"requestId":"abcdefgh-1"}')}"}}`,
  ];
  for (const text of unread) assert.equal(inboundCorrelation(text).requestId, undefined, text);
});

void test('payloads are parsed with their schema; errors name the field', () => {
  const answer: AgentResponse = {
    v: 1,
    id: 'req-1',
    at: new Date(0).toISOString(),
    status: 'error',
    data: { state: 'failed', final: true, inReplyTo: 'abc' },
    error: { code: 'signature-invalid', message: 'bad' },
  };
  assert.deepEqual(parsePayload(responseSchema, 't', JSON.stringify(answer)), answer);
  assert.throws(
    () => parsePayload(responseSchema, 't', JSON.stringify({ ...answer, status: 'maybe' })),
    (e: unknown) => e instanceof ContractError && /status/.test(e.message),
  );
  assert.throws(() => parsePayload(statusSchema, 't', Buffer.from('{')), /not JSON/);
  assert.ok(isFinal('expired') && !isFinal('verifying'));
});

void test('a challenge message carries the exact challenge approvals quote', () => {
  const message = {
    v: 1,
    router: 'core-1',
    operationId: 'op-1',
    methods: ['power'],
    challenge: {
      v: 1,
      kind: 'challenge',
      challengeId: 'challenge-1',
      nonce: 'n'.repeat(22),
      agent: 'pi-1',
      router: { serial: 'HE0812345' },
      observed: { attemptCount: 1, at: new Date(0).toISOString() },
      issuedAt: new Date(0).toISOString(),
    },
  };
  assert.deepEqual(parsePayload(challengeMessageSchema, 't', JSON.stringify(message)), message);
  assert.throws(
    () =>
      parsePayload(
        challengeMessageSchema,
        't',
        JSON.stringify({ ...message, challenge: { ...message.challenge, nonce: 'short' } }),
      ),
    ContractError,
  );
});
