// A challenge belongs to one agent, one router and one use: every other quote is wrong-challenge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeDigest } from '../../src/trust/change.js';
import { fixedClock } from '../../src/time/wall-clock.js';
import { buildPowerCycle } from '../../src/trust/drafts.js';
import { TYP, type Challenge } from '../../src/trust/messages.js';
import { TrustGate } from '../../src/trust/trust-gate.js';
import {
  AGENT,
  NOW,
  SERIAL,
  keys,
  policy,
  refused,
  requestPayload,
  rootPayload,
  sign,
  signedRoot,
  tempDir,
  text,
} from './fixtures.js';

async function gate(t: { after(fn: () => void): void }, synced = true): Promise<TrustGate> {
  const g = new TrustGate({
    stateDir: tempDir(t),
    initialTrustRoot: await signedRoot(rootPayload(), [keys.alice, keys.bob]),
    agentId: AGENT,
    clock: fixedClock(NOW, synced),
    policy: { ...policy, maxOperationsPerHour: 60 },
    routers: [
      { name: 'core', serial: SERIAL, methods: ['power', 'button'] },
      { name: 'chr', systemId: 'CHR-1', methods: ['power'] },
    ],
  });
  await g.start();
  return g;
}

const observed = { attemptCount: 1, at: new Date(NOW - 5000).toISOString() };
const ref = (c: Challenge) => ({ challengeId: c.challengeId, nonce: c.nonce });
const signed = async (payload: unknown, typ: string) => text(await sign(payload, typ, [keys.alice, keys.bob]));
const powerCycle = (
  router: { serial: string } | { systemId: string },
  challenge?: { challengeId: string; nonce: string },
) => ({
  ...buildPowerCycle({ agent: AGENT, router, requester: { name: 'noc' }, now: NOW - 1000, reason: 'hung' }),
  ...(challenge ? { challenge } : {}),
});
function approvalQuoting(
  challenge: Challenge,
  quote: Record<string, unknown>,
  router: Record<string, string> = { serial: SERIAL },
) {
  return {
    v: 1,
    kind: 'approval',
    requestId: `appr-${Math.random().toString(36).slice(2, 12)}`,
    agent: AGENT,
    router,
    issuedAt: new Date(NOW - 1000).toISOString(),
    challenge: { ...ref(challenge), observed: challenge.observed ?? observed, ...quote },
    expect: { features: { container: true } },
    digest: changeDigest({ features: { container: true } }),
    method: 'button',
  };
}

void test("a request or power cycle quoting an observed change's challenge is wrong-challenge", async (t) => {
  const g = await gate(t, false);
  const core = g.routerFor({ serial: SERIAL })!;
  const open = await g.forRouter(core.name).openApprovalChallenge(observed);
  refused(
    await g.verifyChangeRequest(await signed(requestPayload({ challenge: ref(open) }), TYP.request)),
    'wrong-challenge',
    /observed change/,
  );
  refused(
    await g.verifyPowerCycle(await signed(powerCycle({ serial: SERIAL }, ref(open)), TYP.powerCycle)),
    'wrong-challenge',
  );
  assert.ok(g.challenges.find(open.challengeId), 'the observed change still has its challenge');
});

void test('an order challenge: any order for its router may use it once; not another router or approval', async (t) => {
  const g = await gate(t, false);
  const core = g.routerFor({ serial: SERIAL })!;
  const chr = g.routerFor({ systemId: 'CHR-1' })!;
  const coreOrder = await g.challenges.open(core, 'order');
  // Another router of the same agent quoting it: the router named is chr, the challenge is core's.
  refused(
    await g.verifyPowerCycle(await signed(powerCycle({ systemId: 'CHR-1' }, ref(coreOrder)), TYP.powerCycle)),
    'wrong-challenge',
    /router core/,
  );
  // An approval quoting an order challenge (with an observation invented by the sender).
  const approval = approvalQuoting(coreOrder, { observed });
  refused(await g.verifyApproval(await signed(approval, TYP.approval)), 'wrong-challenge');
  // The approval of chr's observed change quoting it while naming core: the challenge is chr's.
  const chrObserved = await g.forRouter(chr.name).openApprovalChallenge(observed);
  refused(
    await g.verifyApproval(await signed(approvalQuoting(chrObserved, {}, { serial: SERIAL }), TYP.approval)),
    'wrong-challenge',
  );
  // An approval quoting an observation other than the agent's.
  refused(
    await g.verifyApproval(
      await signed(
        approvalQuoting(chrObserved, { observed: { ...observed, attemptCount: 2 } }, { systemId: 'CHR-1' }),
        TYP.approval,
      ),
    ),
    'wrong-challenge',
  );
  // Its own use: accepted once, without wall time.
  const good = await signed(powerCycle({ serial: SERIAL }, ref(coreOrder)), TYP.powerCycle);
  const accepted = await g.verifyPowerCycle(good);
  assert.equal(accepted.ok, true, JSON.stringify(accepted));
  if (accepted.ok) await accepted.commit(); // the operation starts: the nonce is used
  refused(
    await g.verifyChangeRequest(await signed(requestPayload({ challenge: ref(coreOrder) }), TYP.request)),
    'nonce-stale',
  );
});

void test('a challenge closed with its operation, or left by an earlier run, is no longer quotable', async (t) => {
  const g = await gate(t, false);
  const core = g.routerFor({ serial: SERIAL })!;
  const order = await g.challenges.open(core, 'order');
  const cycle = await signed(powerCycle({ serial: SERIAL }, ref(order)), TYP.powerCycle);
  await g.challenges.close(order.challengeId);
  refused(await g.verifyPowerCycle(cycle), 'nonce-stale');
  const again = await g.challenges.open(core, 'order');
  await g.challenges.start(); // what a restart does
  refused(
    await g.verifyPowerCycle(await signed(powerCycle({ serial: SERIAL }, ref(again)), TYP.powerCycle)),
    'nonce-stale',
  );
});
