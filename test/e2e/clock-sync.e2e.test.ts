// The clock after an admin's `date -s` (#15 item 7), as the host then looks: timesyncd's
// flag file is still there (it survives the step), the kernel says unsynchronized (date -s
// sets STA_UNSYNC, so timedatectl's NTPSynchronized says no), and the wall clock is 3 hours
// off. The agent must not trust its clock, and the deadlines it shows come from monotonic time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStatus, RouterStateMessage } from '../../src/mqtt/contract.js';
import { createWallClock, TIMESYNCD_FLAG, type SyncProbes } from '../../src/time/wall-clock.js';
import { E2E } from './harness.js';

const OFF_MS = 3 * 3600_000;

/** The host after `date -s`: the flag file present, the kernel's state unsynchronized. */
function afterDateS(): SyncProbes & { fileExists(path: string): Promise<boolean> } {
  return {
    fileExists: (path) => Promise.resolve(path === TIMESYNCD_FLAG),
    run: (command) => Promise.resolve(command === 'timedatectl' ? 'no\n' : undefined),
  };
}

void test('after date -s (kernel unsynchronized, 3 h off): clock not trusted, deadlines from monotonic', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  const wrongNow = () => Date.now() - OFF_MS;
  e2e.agentOptions = {
    clock: createWallClock('systemd', { now: wrongNow, probes: afterDateS() }),
    now: () => new Date(wrongNow()),
  };
  await e2e.start({ routerConfig: { observedActivationTimeoutSeconds: 60 } });
  const status = e2e.observer.seen
    .filter((m) => m.topic === e2e.topics.status)
    .map((m) => JSON.parse(m.payload) as AgentStatus)
    .at(-1);
  assert.equal(status?.clockSynced, false, JSON.stringify(status));

  // A request with only a time window: the agent cannot check its age, refused for the clock.
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['fetch'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  await e2e.publish('request', jws);
  const refused = await e2e.finalAnswer(e2e.requestIdOf(jws));
  assert.equal(refused.error?.code, 'clock-unsynced', JSON.stringify(refused));
  assert.equal(e2e.site.router.state().attemptCount, 0);

  // Someone else's change: the challenge's time left is the 60 s window by the monotonic clock.
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  assert.ok(
    open.expiresInMs !== undefined && open.expiresInMs > 50_000 && open.expiresInMs <= 60_000,
    JSON.stringify(open),
  );
  const state = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.routerState('hap1') &&
      (JSON.parse(m.payload) as RouterStateMessage).operation?.state === 'challenged',
    'operation challenged',
  );
  const op = (JSON.parse(state.payload) as RouterStateMessage).operation;
  assert.ok(
    op?.deadlineInMs !== undefined && op.deadlineInMs > 50_000 && op.deadlineInMs <= 60_000,
    JSON.stringify(op),
  );
  // The wall-clock estimate is on the agent's (wrong) clock, consistent with its time left.
  assert.ok(Math.abs(Date.parse(op.deadline ?? '') - (wrongNow() + op.deadlineInMs)) < 10_000, JSON.stringify(op));
});
