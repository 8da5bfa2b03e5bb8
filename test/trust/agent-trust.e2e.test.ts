// Issue 10, items 1, 2, 3 and 5 against the running agent over a real mosquitto: messages
// forged with node:crypto (./forger.ts) from the site team's keys, as an insider or an
// attacker holding one key would write them. Each is refused with its reason, as a
// security event, and nothing is actuated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChange, buildChangeRequest } from '../../src/trust/drafts.js';
import type { ChangeOptions } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import { E2E } from '../e2e/harness.js';
import { forgeSimple } from './forger.js';

void test('agent: the requester never counts, people count once, one strict reading, whole change', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ policy: { allowedModes: ['rose'], allowedFeatures: ['container', 'fetch', 'scheduler'] } });
  const team = e2e.site.team;
  const [alice, bob] = team.approvers;
  const payload = (
    change: ChangeOptions,
    requester: { name: string; keyId?: string } = { name: team.requester.name },
  ) =>
    buildChangeRequest({
      agent: e2e.site.agentId,
      router: e2e.router,
      requester,
      now: Date.now(),
      change: buildChange(change),
      method: 'power',
      activationTimeoutSeconds: 300,
    });

  const cases: Array<{ what: string; jws: string; code: RegExp; unanswered?: true }> = [
    {
      what: 'ops-bot and one approver',
      jws: forgeSimple(JSON.stringify(payload({ enable: ['container'] })), TYP.request, [team.requester, alice!]),
      code: /^too-few-approvers$/,
    },
    {
      what: "alice's two keys",
      jws: forgeSimple(JSON.stringify(payload({ enable: ['container'] })), TYP.request, [
        team.requester,
        alice!,
        team.aliceBackup,
      ]),
      code: /^duplicate-signer$/,
    },
    {
      what: 'alice as requester (no requester role)',
      jws: forgeSimple(JSON.stringify(payload({ enable: ['container'] }, { name: alice!.name })), TYP.request, [
        alice!,
        bob!,
        team.approvers[2]!,
      ]),
      code: /^requester-unknown$/,
    },
    {
      what: 'no requester signature',
      jws: forgeSimple(JSON.stringify(payload({ enable: ['container'] })), TYP.request, [alice!, bob!]),
      code: /^requester-signature-missing$/,
    },
    {
      what: 'a duplicate member',
      jws: forgeSimple(
        JSON.stringify(payload({ enable: ['container'] })).replace(
          '"method":"power"',
          '"method":"button","method":"power"',
        ),
        TYP.request,
        [team.requester, alice!, bob!],
      ),
      code: /^bad-payload$/,
      // Two readings of one payload: not even its request id is believed, so no answer on
      // progress/<id>; the refusal is the event alone.
      unanswered: true,
    },
    {
      what: 'mode rose turning on socks',
      jws: forgeSimple(JSON.stringify(payload({ mode: 'rose' })), TYP.request, [team.requester, alice!, bob!]),
      code: /^policy-feature$/,
    },
  ];
  for (const c of cases) {
    if (c.unanswered) {
      const seen = e2e.observer.seen.length;
      await e2e.publish('request', c.jws);
      await e2e.observer.waitFor(
        (m) =>
          e2e.observer.seen.indexOf(m) >= seen && m.topic === e2e.topics.events && m.payload.includes('"bad-payload"'),
        `${c.what}: refused`,
      );
      continue;
    }
    await e2e.publish('request', c.jws);
    const answer = await e2e.finalAnswer(e2e.requestIdOf(c.jws));
    assert.equal(answer.status, 'error', c.what);
    assert.match(answer.error?.code ?? '', c.code, `${c.what}: ${JSON.stringify(answer.error)}`);
  }
  assert.equal(e2e.powerCuts + e2e.presses, 0, 'nothing actuated');
  const codes = new Set(e2e.events().map((e) => e.code));
  for (const code of ['too-few-approvers', 'duplicate-signer', 'requester-unknown', 'bad-payload', 'policy-feature'])
    assert.ok(codes.has(code), `event ${code}`);

  // Control: the same kind of request, written honestly, is carried out.
  const good = forgeSimple(JSON.stringify(payload({ enable: ['container'] })), TYP.request, [
    team.requester,
    alice!,
    bob!,
  ]);
  await e2e.publish('request', good);
  const done = await e2e.finalAnswer(e2e.requestIdOf(good), 90_000);
  assert.equal(done.data.state, 'done', JSON.stringify(done));
});
