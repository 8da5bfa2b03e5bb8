// Orders work when the gateway is down: with no synchronized clock, an operator asks the agent
// for a fresh challenge (unsigned, on its own topic), and an order quoting it is accepted
// without wall time, without disturbing the challenge open for an observed change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orderChallengeMessageSchema, type OrderChallengeMessage } from '../../src/mqtt/contract.js';
import { buildPowerCycle } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import { E2E } from './harness.js';
import { answerWhenIdle } from './when-idle.js';

const unsynced = { now: () => Date.now(), isSynchronized: () => Promise.resolve(false) };

async function askChallenge(e2e: E2E, router = e2e.router): Promise<OrderChallengeMessage> {
  const from = e2e.observer.seen.length;
  await e2e.observer.client.publishAsync(e2e.topics.challengeRequest, JSON.stringify({ v: 1, router }), { qos: 1 });
  const seen = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.orderChallenge('hap1') && e2e.observer.seen.indexOf(m) >= from,
    'order challenge',
  );
  return orderChallengeMessageSchema.parse(JSON.parse(seen.payload));
}

void test('unsynced clock: a power cycle bound to a challenge on demand runs; the observed one is kept', async (t) => {
  const e2e = new E2E();
  e2e.agentOptions = { clock: unsynced };
  t.after(() => e2e.stop());
  await e2e.start();
  const team = e2e.site.team;
  const status = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.status && m.payload.includes('"online"'),
    'online status',
  );
  assert.match(status.payload, /"clockSynced":false/, 'the status says the clock is not synchronized');

  // Without a challenge: refused, as before.
  const plain = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'reset-attempt-count' });
  await e2e.publish('powercycle', plain);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(plain))).error?.code, 'clock-unsynced');

  // An observed change is pending with its challenge; an order challenge does not disturb it.
  e2e.otherClientUpdate({ enable: ['container'] });
  const observed = (await e2e.challenge()).challenge;
  const asked = await askChallenge(e2e);
  assert.equal(asked.clockSynced, false);
  assert.equal(asked.reachable, true);
  assert.equal(asked.lastRead?.attemptCount !== undefined, true, 'approvers see what the agent last read');
  assert.notEqual(asked.challenge.challengeId, observed.challengeId);
  assert.equal(
    (await askChallenge(e2e)).challenge.nonce,
    asked.challenge.nonce,
    'asked again: the same open challenge, not a new nonce',
  );
  const approval = await team.approval(observed, { expect: { enable: ['container'] }, method: 'button' });
  await e2e.publish('approval', approval);
  assert.equal(
    (await e2e.finalAnswer(e2e.requestIdOf(approval))).data.state,
    'done',
    'the observed change was approved with its own challenge',
  );

  // A power cycle quoting the order challenge: accepted without wall time, once.
  const payload = buildPowerCycle({
    agent: 'pi-demo',
    router: e2e.router,
    requester: { name: team.requester.name, keyId: team.requester.keyId },
    now: Date.now(),
    reason: 'hung',
    challenge: asked.challenge,
  });
  const bound = await team.sign(payload, TYP.powerCycle, [team.requester, team.approvers[0]!, team.approvers[2]!]);
  const boundFinal = await answerWhenIdle(e2e, 'powercycle', bound, 90_000);
  assert.equal(boundFinal.data.state, 'done', JSON.stringify(boundFinal));
  assert.equal(e2e.powerCuts, 1);
  const reused = await team.sign({ ...payload, requestId: `${payload.requestId}-again` }, TYP.powerCycle, [
    team.requester,
    team.approvers[0]!,
    team.approvers[1]!,
  ]);
  await e2e.publish('powercycle', reused);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(reused))).error?.code, 'nonce-stale');

  // Asks for a router this agent does not serve, or malformed ones, get nothing.
  const before = e2e.observer.seen.length;
  await e2e.observer.client.publishAsync(
    e2e.topics.challengeRequest,
    JSON.stringify({ v: 1, router: { serial: 'NOT-OURS' } }),
    { qos: 1 },
  );
  await e2e.observer.client.publishAsync(e2e.topics.challengeRequest, '{"v":1,"router":{"serial":"x"},"extra":1}', {
    qos: 1,
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(e2e.observer.seen.slice(before).filter((m) => m.topic.endsWith('/order-challenge')).length, 0);
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

void test("the CLI binds a power cycle to a fresh challenge when the agent's clock is unsynchronized", async (t) => {
  const e2e = new E2E();
  e2e.agentOptions = { clock: unsynced };
  t.after(() => e2e.stop());
  await e2e.start();
  const keyFile = join(e2e.site.dir, 'ops-bot.key');
  writeFileSync(keyFile, e2e.site.team.requester.privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  const args = [
    'powercycle',
    '--agent',
    'pi-demo',
    '--router-serial',
    e2e.router.serial,
    '--key',
    keyFile,
    '--reason',
    'hung',
  ];
  const run = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, MAIN, ...args, '--broker', e2e.broker.url, '--site', 'lab', '--wait', '20s'],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
  assert.match(run.out, /bound to challenge chal-\S+ of agent pi-demo \(its clock is NOT synchronized\)/, run.out);
  assert.match(run.out, /router hap1 answers; last read \d+ s ago .*attempt-count 0/, run.out);
  // Signed by the requester alone it is refused, but for its approvers, not for the clock.
  assert.match(run.out, /too-few-approvers|requester-cannot-approve/, run.out);
  assert.doesNotMatch(run.out, /clock-unsynced/);
  assert.equal(e2e.powerCuts, 0);
});
