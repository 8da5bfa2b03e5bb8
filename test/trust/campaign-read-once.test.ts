// Issue 17: a campaign order is read once at the agent's door, like every other order. The
// order, the campaign envelope and the release envelope are each read once on the way from
// MQTT to the verdict; the gate and the verifier act on that reading, and nothing else passes
// for one. A part that cannot be read is refused with the same reason, at the same point.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InboundDispatcher } from '../../src/agent/inbound.js';
import type { Publisher } from '../../src/agent/publisher.js';
import type { RouterSupervisor } from '../../src/agent/router-supervisor.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { silentLogger } from '../../src/log/logger.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { openCampaignOrder } from '../../src/trust/campaign/order-read.js';
import { targetRequestId } from '../../src/trust/campaign/schema.js';
import { verifyCampaignOrder } from '../../src/trust/campaign/verify.js';
import type { Envelope } from '../../src/trust/jws.js';
import { TYP } from '../../src/trust/messages.js';
import { TrustGate } from '../../src/trust/trust-gate.js';
import { order, releaseFor, SELF, signedCampaign } from './campaign-fixtures.js';
import {
  AGENT,
  context,
  keys,
  NOW,
  policy,
  refused,
  requestPayload,
  rootPayload,
  SERIAL,
  sign,
  signedRoot,
  signExactly,
  tempDir,
  text,
  trustRootV1,
} from './fixtures.js';

const BASE = 'dmconfirm/v1';
const REQUEST_ID = targetRequestId('spring-2026-container', SELF);

/** Every text JSON.parse is given while `run` runs (strictJson, and any lenient reading, go through it). */
async function parsedTexts(run: () => Promise<void>): Promise<string[]> {
  const original = JSON.parse.bind(JSON);
  const texts: string[] = [];
  JSON.parse = (input: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    texts.push(input);
    return original(input, reviver) as unknown;
  };
  try {
    await run();
  } finally {
    JSON.parse = original;
  }
  return texts;
}

const count = (texts: string[], text: string) => texts.filter((t) => t === text).length;
const decoded = (b64: string) => Buffer.from(b64, 'base64url').toString('utf8');

/** A real trust gate and audit log behind the real door; the router only records what it is handed. */
async function door(t: TestContext) {
  const stateDir = tempDir(t);
  const gate = new TrustGate({
    stateDir,
    initialTrustRoot: await signedRoot(rootPayload(), [keys.alice, keys.bob]),
    agentId: AGENT,
    clock: fixedClock(NOW, true),
    policy,
    routers: [{ name: 'core', serial: SERIAL, methods: ['power', 'button'] }],
  });
  await gate.start();
  const audit = new AuditLog(join(stateDir, 'audit.jsonl'));
  await audit.open();
  t.after(() => audit.close());
  const seen = { delivered: [] as unknown[], answers: [] as Array<{ id: string; code?: string }> };
  const publisher = {
    event: () => undefined,
    progress: (id: string, _data: unknown, error?: { code: string }) =>
      seen.answers.push({ id, ...(error ? { code: error.code } : {}) }),
    lastAnswer: () => undefined,
  } as unknown as Publisher;
  const supervisor = {
    name: 'core',
    deliver: (accepted: unknown) => (seen.delivered.push(accepted), Promise.resolve({ ok: true })),
  } as unknown as RouterSupervisor;
  const dispatcher = new InboundDispatcher({
    baseTopic: BASE,
    gate,
    supervisors: new Map([['core', supervisor]]),
    publisher,
    audit,
    logger: silentLogger(),
  });
  const handle = (kind: string, payload: string) =>
    dispatcher.handle({
      topic: `${BASE}/lab/${AGENT}/${kind}`,
      payload: Buffer.from(payload),
      retain: false,
      duplicate: false,
    });
  return { gate, seen, handle };
}

void test('read once: an order openCampaignOrder read is verified as read, frozen; no lookalike passes', async () => {
  const opened = openCampaignOrder(await order());
  assert.equal(openCampaignOrder(opened), opened, 'an order read once is not read again');
  const verdict = await verifyCampaignOrder(opened, context(await trustRootV1()));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  assert.throws(() => {
    (opened.order.target as { agent: string }).agent = 'site9-pi';
  }, TypeError);
  assert.ok(opened.campaign.ok && Object.isFrozen(opened.campaign.value.payload));
  assert.ok(opened.release.ok && Object.isFrozen(opened.release.value.signatures[0]));
  // An object openCampaignOrder did not make never passes for its reading: not to the verifier, not to the gate.
  const lookalike = { ...opened, order: { ...opened.order, target: { agent: AGENT, router: { serial: 'HF9' } } } };
  await assert.rejects(verifyCampaignOrder(lookalike, context(await trustRootV1())), TypeError);
  const gate = new TrustGate({
    stateDir: '/nonexistent',
    initialTrustRoot: undefined,
    agentId: AGENT,
    clock: fixedClock(NOW, true),
    policy,
    routers: [{ name: 'core', serial: SERIAL, methods: ['power'] }],
  });
  await assert.rejects(gate.verifyCampaignOrder(lookalike), TypeError);
});

void test('from MQTT to the verdict, the order, its campaign and its release are each read once', async (t) => {
  const { seen, handle } = await door(t);
  const campaign = await signedCampaign();
  const release = await signExactly(releaseFor(campaign), TYP.release, [keys.noc]);
  const bytes = await order({ campaign, release });
  const texts = await parsedTexts(() => handle('release', bytes));
  assert.equal(seen.delivered.length, 1, `accepted and handed to its router: ${JSON.stringify(seen.answers)}`);
  assert.equal(count(texts, bytes), 1, 'the order');
  for (const [what, envelope] of [
    ['campaign', campaign],
    ['release', release],
  ] as const) {
    assert.equal(count(texts, decoded(envelope.payload)), 1, `the ${what}'s payload`);
    assert.equal(
      count(texts, JSON.stringify(envelope)),
      0,
      `the ${what}'s envelope is never serialized and read again`,
    );
  }
});

void test('a part that cannot be read is refused with its reason where verification reaches it', async () => {
  const c = async () => context(await trustRootV1());
  const campaign = await signedCampaign();
  const good = await signExactly(releaseFor(campaign), TYP.release, [keys.noc]);
  const bent: Envelope = { ...good, signatures: good.signatures.map((s) => ({ ...s, header: {} })) };
  refused(await verifyCampaignOrder(await order({ campaign, release: bent }), await c()), 'unprotected-header');
  // The campaign is verified first: one under threshold is refused as such, whatever its release carries.
  const under = await signedCampaign(undefined, [keys.noc, keys.alice]);
  const release = await signExactly(releaseFor(under), TYP.release, [keys.noc]);
  const unreadable = { ...release, signatures: release.signatures.map((s) => ({ ...s, header: {} })) };
  refused(
    await verifyCampaignOrder(await order({ campaign: under, release: unreadable }), await c()),
    'too-few-approvers',
  );
  const notJson = { ...campaign, payload: Buffer.from('{"campaignId":').toString('base64url') };
  refused(await verifyCampaignOrder(await order({ campaign: notJson, release: good }), await c()), 'bad-payload');
});

void test('an order the door cannot read is refused there, and answered on its target when it names one', async (t) => {
  const { seen, handle } = await door(t);
  const bytes = JSON.parse(await order()) as Record<string, unknown>;
  const extra = text({ ...bytes, note: 'not in the schema' });
  const texts = await parsedTexts(() => handle('release', extra));
  assert.deepEqual(seen.answers, [{ id: REQUEST_ID, code: 'malformed' }]);
  // Read strictly once (refused), then leniently for where to answer; never again by the gate.
  assert.equal(count(texts, extra), 2);
});

void test('any order the door cannot read is refused with that reading: the gate does not read it again', async (t) => {
  const { seen, handle } = await door(t);
  const envelope = await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]);
  const unprotected = text({ ...envelope, signatures: envelope.signatures.map((s) => ({ ...s, header: {} })) });
  const texts = await parsedTexts(() => handle('request', unprotected));
  assert.deepEqual(
    seen.answers.map((a) => a.code),
    ['unprotected-header'],
  );
  // Read strictly at the door (refused), and for where to answer; the gate never reads it a third time.
  assert.equal(count(texts, unprotected), 2);
});
