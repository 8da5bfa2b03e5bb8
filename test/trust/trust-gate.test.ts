// The agent's door: stores in the state directory, router selection, challenges, restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedClock } from '../../src/time/wall-clock.js';
import { buildApproval } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import { TrustGate } from '../../src/trust/trust-gate.js';
import type { TrustGateOptions } from '../../src/trust/trust-gate.js';
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

async function gate(stateDir: string, initialTrustRoot: string): Promise<TrustGate> {
  const options: TrustGateOptions = {
    stateDir,
    initialTrustRoot,
    agentId: AGENT,
    clock: fixedClock(NOW, true),
    policy,
    routers: [
      { name: 'core', serial: SERIAL, methods: ['power', 'button'] },
      { name: 'chr', systemId: 'CHR-1', methods: ['power'] },
      { name: 'unpaired', methods: ['power'] },
    ],
  };
  const g = new TrustGate(options);
  await g.start();
  return g;
}

void test('the gate routes by router identity and remembers across a restart', async (t) => {
  const dir = tempDir(t);
  const root = await signedRoot(rootPayload(), [keys.alice, keys.bob]);
  const first = await gate(dir, root);
  const message = text(await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]));
  const accepted = await first.verifyChangeRequest(message);
  assert.equal(accepted.ok, true, JSON.stringify(accepted));
  if (accepted.ok) await accepted.commit();
  const elsewhere = text(
    await sign(requestPayload({ router: { serial: 'NOT-OURS' } }), TYP.request, [keys.alice, keys.bob]),
  );
  refused(await first.verifyChangeRequest(elsewhere), 'wrong-router', /does not serve/);
  const chr = text(
    await sign(requestPayload({ router: { systemId: 'CHR-1' }, method: 'button' }), TYP.request, [
      keys.alice,
      keys.bob,
    ]),
  );
  refused(await first.verifyChangeRequest(chr), 'policy-method', /router chr/);
  const restarted = await gate(dir, root);
  refused(await restarted.verifyChangeRequest(message), 'replayed');
});

void test('challenges: the newest nonce is the only valid one, and it is single-use', async (t) => {
  const g = await gate(tempDir(t), await signedRoot(rootPayload(), [keys.alice, keys.bob]));
  const router = g.routerFor({ serial: SERIAL })!;
  const observed = { attemptCount: 1, at: new Date(NOW).toISOString() };
  const old = await g.forRouter(router.name).openApprovalChallenge(observed);
  const current = await g.forRouter(router.name).openApprovalChallenge(observed);
  const approve = async (challenge: typeof old) =>
    text(
      await sign(
        buildApproval(challenge, { now: NOW, expect: { features: { container: true } }, method: 'button' }),
        TYP.approval,
        [keys.bob, keys.carol],
      ),
    );
  refused(await g.verifyApproval(await approve(old)), 'nonce-stale');
  const message = await approve(current);
  const accepted = await g.verifyApproval(message);
  assert.equal(accepted.ok, true);
  if (accepted.ok) await accepted.commit();
  refused(await g.verifyApproval(await approve(current)), 'nonce-stale');
});

void test('verifying uses nothing until the operation starts: bytes verify again; commit records once', async (t) => {
  const g = await gate(tempDir(t), await signedRoot(rootPayload(), [keys.alice, keys.bob]));
  const message = text(await sign(requestPayload(), TYP.request, [keys.alice, keys.bob]));
  const first = await g.verifyChangeRequest(message);
  const second = await g.verifyChangeRequest(message);
  assert.equal(first.ok && second.ok, true, 'a verified order that did not start used nothing');
  if (!first.ok || !second.ok) return;
  await first.commit();
  await assert.rejects(second.commit(), { reason: 'replayed' }, 'a race lost at commit is refused');
  refused(await g.verifyChangeRequest(message), 'replayed');
});

void test('forRouter: a supervisor binds its paired unit through it; challenges only once bound', async (t) => {
  const g = await gate(tempDir(t), await signedRoot(rootPayload(), [keys.alice, keys.bob]));
  assert.throws(() => g.forRouter('elsewhere'), /not one of this agent's/);
  const trust = g.forRouter('unpaired');
  assert.equal(trust.bound, false);
  await assert.rejects(trust.orderChallenge(), /pair it before issuing challenges/);
  assert.equal(g.routerFor({ serial: 'HF-NEW' }), undefined);
  trust.bind({ serial: 'HF-NEW', systemId: undefined });
  assert.equal(trust.bound, true);
  assert.equal(g.routerFor({ serial: 'HF-NEW' })?.name, 'unpaired', 'messages naming the paired unit now reach it');
  const order = await trust.orderChallenge();
  assert.equal(
    (await trust.orderChallenge()).challengeId,
    order.challengeId,
    'the open order challenge, not a new one',
  );
  const observed = await trust.openApprovalChallenge({ attemptCount: 1, at: new Date(NOW).toISOString() });
  await trust.close(observed.challengeId);
  assert.equal(g.challenges.find(observed.challengeId), undefined);
});
