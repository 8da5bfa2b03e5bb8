// A power cycle cannot smuggle a change: a cold boot confirms whatever is pending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../src/agent/agent.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E, testLogger } from './harness.js';
import { answerWhenIdle } from './when-idle.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, MAIN, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

void test('attempt-count risen: a plain power cycle is refused; one accepting the pending change runs', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  // The observed change's challenge expires quickly, leaving the change pending and the agent idle.
  await e2e.start({ routerConfig: { observedActivationTimeoutSeconds: 12 }, policy: { minActionMarginMs: 1000 } });
  const team = e2e.site.team;
  e2e.otherClientUpdate({ enable: ['container'] }, 600);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('"operation-expired"'),
    'the unapproved challenge expires',
    60_000,
  );
  assert.equal(e2e.site.router.state().attemptCount, 1);

  const plain = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  const refused = await answerWhenIdle(e2e, 'powercycle', plain);
  assert.equal(refused.error?.code, 'pending-change', JSON.stringify(refused));
  assert.match(refused.error?.message ?? '', /attempt-count is 1 \(last verified .*attempt-count 0\)/);
  assert.equal(e2e.powerCuts, 0);

  const accepting = await team.powerCycle({
    agent: 'pi-demo',
    router: e2e.router,
    reason: 'hung',
    acceptPending: { expect: { enable: ['container'] } },
  });
  await e2e.publish('powercycle', accepting);
  const done = await e2e.finalAnswer(e2e.requestIdOf(accepting), 90_000);
  assert.equal(done.data.state, 'done', JSON.stringify(e2e.answers(e2e.requestIdOf(accepting))));
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
  assert.deepEqual(e2e.events('device-mode-mismatch'), []);
});

void test('an intruder queues a change and locks us out: a "hung" order cuts; a signed revert undoes it', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const team = e2e.site.team;
  const router = e2e.site.router;
  assert.equal(router.state().deviceMode.features.container, false);
  // The agent has recorded its verified baseline; then the intruder acts while it is away.
  await waitFor(
    () => (readFileSync(join(e2e.site.dir, 'state', 'verified.json'), 'utf8').includes('"hap1"') ? true : undefined),
    'baseline recorded',
  );
  await e2e.stopAgent();
  e2e.otherClientUpdate({ enable: ['container'] }, 600);
  await waitFor(() => router.state().pending ?? undefined, 'intruder update pending');
  router.refuseApiLogins(true);
  const agent = await Agent.create(e2e.site.config, { logger: testLogger(), checkpointIntervalMs: 60_000 });
  e2e.agent = agent;
  await agent.start();
  await new Promise((resolve) => setTimeout(resolve, 1000)); // started; its router does not let it in

  // An order that does not say the router is hung is refused: nothing cut.
  const reset = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'reset-attempt-count' });
  await e2e.publish('powercycle', reset);
  const refused = await e2e.finalAnswer(e2e.requestIdOf(reset), 30_000);
  assert.equal(refused.error?.code, 'router-unreachable', JSON.stringify(refused));
  assert.match(refused.error?.message ?? '', /must say reason "hung" \(last verified .*: mode home, attempt-count 0\)/);
  assert.equal(e2e.powerCuts, 0);

  // "hung": cut. The cold boot confirms the intruder's change; the agent gets in again after it.
  router.once('power', () => router.refuseApiLogins(false));
  const hung = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  await e2e.publish('powercycle', hung);
  const final = await e2e.finalAnswer(e2e.requestIdOf(hung), 90_000);
  assert.equal(final.error?.code, 'device-mode-mismatch', JSON.stringify(final));
  assert.equal(router.state().deviceMode.features.container, true, 'the cold boot confirmed the smuggled change');
  const mismatch = e2e.events('device-mode-mismatch');
  assert.equal(mismatch[0]?.type, 'security');
  const revertEvent = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('"revert-request"'),
    'revert request',
  );
  const revert = JSON.parse(revertEvent.payload) as { severity: string; data: { draft: string; change: unknown } };
  assert.equal(revert.severity, 'critical');
  assert.deepEqual(revert.data.change, { features: { container: false } });

  // Approvers sign the draft with the CLI as it is, and send it: one step back.
  const dir = e2e.site.dir;
  const draft = join(dir, 'revert.json');
  writeFileSync(draft, revert.data.draft);
  // It names the power cycle's requester (ops-bot), who signs it too; that signature never counts.
  for (const key of [team.requester, team.approvers[0]!, team.approvers[1]!]) {
    const file = join(dir, `${key.name}.key`);
    writeFileSync(file, key.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const signed = await cli(['cosign', draft, '--key', file]);
    assert.equal(signed.code, 0, signed.out);
  }
  const published = await cli(['publish', draft, '--broker', e2e.broker.url, '--site', 'lab', '--wait', '60s']);
  assert.equal(published.code, 0, published.out);
  assert.equal(router.state().deviceMode.features.container, false, 'reverted');
});
