// Issue 12: the coordinator's retained status stays small on the wire for a large fleet (a
// changed target republishes its page and the summary, nothing else), and never holds up the
// rollout while the broker does not acknowledge (only the newest status is sent after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log/logger.js';
import { ROLLOUT_HEARTBEAT_SECONDS, rolloutPageSchema, rolloutSummarySchema } from '../../src/mqtt/contract.js';
import type { RolloutJournal } from '../../src/rollout/journal.js';
import { StatusPublisher } from '../../src/rollout/status-publisher.js';
import { buildStatus } from '../../src/rollout/status-view.js';
import { buildCampaign, TargetTree } from '../../src/trust/campaign/build.js';
import { NOW } from '../trust/fixtures.js';

const N = 1000;
const targets = Array.from({ length: N }, (_, i) => ({ site: 's', agent: `a-${i}`, router: { serial: `S${i}` } }));
const campaign = buildCampaign({
  campaignId: 'status-test-1',
  requester: { name: 'noc' },
  coordinator: { name: 'noc' },
  now: NOW,
  window: { notAfter: new Date(NOW + 86_400_000).toISOString() },
  change: { features: { container: true } },
  method: 'power',
  activationTimeoutSeconds: 300,
  tree: new TargetTree(targets.map(({ agent, router }) => ({ agent, router }))),
  waves: [{ count: 10 }, { percent: 100 }],
  abort: { minExecuted: 1, maxFailures: 5 },
});
const journal = (): RolloutJournal => ({
  v: 1,
  campaignId: campaign.campaignId,
  campaignDigest: 'digest-1',
  base: 'b',
  createdAt: new Date(NOW).toISOString(),
  nextWave: 1,
  releases: [{ wave: 0, at: new Date(NOW).toISOString(), targets: 10 }],
  paused: false,
  targets: targets.map((x, index) => ({
    ...x,
    index,
    wave: index < 10 ? 0 : 1,
    requestId: `r${index}`,
    state: 'queued',
  })),
});

const flushed = () => new Promise((resolve) => setImmediate(resolve));

void test('all first, then only a changed page and the summary; the heartbeat resends the summary', async () => {
  const sent: Array<{ topic: string; payload: string }> = [];
  const publisher = new StatusPublisher(
    'b',
    (topic, payload) => Promise.resolve(void sent.push({ topic, payload })),
    silentLogger(),
  );
  const j = journal();
  publisher.offer(buildStatus(j, campaign, NOW));
  await publisher.settle(1000);
  assert.deepEqual(
    sent.map((s) => s.topic),
    [0, 1, 2, 3, 4].map((p) => `b/rollouts/status-test-1/targets/${p}`).concat('b/rollouts/status-test-1/summary'),
  );
  for (const s of sent.slice(0, 5)) rolloutPageSchema.parse(JSON.parse(s.payload));
  assert.ok(Math.max(...sent.map((s) => s.payload.length)) < 40_000, 'a page of 200 targets stays small');
  sent.length = 0;
  j.targets[450]!.state = 'succeeded';
  publisher.offer(buildStatus(j, campaign, NOW + 1000));
  await publisher.settle(1000);
  assert.deepEqual(
    sent.map((s) => s.topic),
    ['b/rollouts/status-test-1/targets/2', 'b/rollouts/status-test-1/summary'],
  );
  assert.equal(rolloutSummarySchema.parse(JSON.parse(sent[1]!.payload)).counts.succeeded, 1);
  sent.length = 0;
  publisher.offer(buildStatus(j, campaign, NOW + 2000));
  await publisher.settle(1000);
  assert.equal(sent.length, 0, 'nothing changed, heartbeat not due');
  assert.equal(publisher.heartbeatDue(NOW + 1000 + ROLLOUT_HEARTBEAT_SECONDS * 1000), true);
  publisher.offer(buildStatus(j, campaign, NOW + 1000 + ROLLOUT_HEARTBEAT_SECONDS * 1000));
  await publisher.settle(1000);
  assert.deepEqual(
    sent.map((s) => s.topic),
    ['b/rollouts/status-test-1/summary'],
  );
});

void test('an unacknowledging broker holds up nothing; the newest status goes after; failures retry', async () => {
  const sent: string[] = [];
  let release: () => void = () => undefined;
  let failNext = false;
  let held = true;
  const publisher = new StatusPublisher(
    'b',
    async (topic, payload) => {
      if (held) await new Promise<void>((resolve) => (release = resolve));
      held = false;
      if (failNext) {
        failNext = false;
        throw new Error('connection lost');
      }
      sent.push(`${topic} ${(JSON.parse(payload) as { at: string }).at}`);
    },
    silentLogger(),
  );
  const j = journal();
  publisher.offer(buildStatus(j, campaign, NOW));
  for (let i = 1; i <= 3; i++) {
    j.targets[i]!.state = 'in-progress';
    publisher.offer(buildStatus(j, campaign, NOW + i * 1000)); // returns at once
  }
  await flushed();
  assert.equal(sent.length, 0);
  release();
  await publisher.settle(1000);
  // The first status in full, then only the newest (page 0 and the summary of NOW + 3 s).
  const at3 = new Date(NOW + 3000).toISOString();
  assert.deepEqual(sent.slice(-2), [
    `b/rollouts/status-test-1/targets/0 ${at3}`,
    `b/rollouts/status-test-1/summary ${at3}`,
  ]);
  assert.equal(sent.length, 6 + 2);
  sent.length = 0;
  failNext = true;
  j.targets[999]!.state = 'failed';
  publisher.offer(buildStatus(j, campaign, NOW + 4000));
  await publisher.settle(1000);
  assert.deepEqual(
    sent.map((s) => s.split(' ')[0]),
    ['b/rollouts/status-test-1/summary'],
  );
  publisher.offer(buildStatus(j, campaign, NOW + 5000));
  await publisher.settle(1000);
  assert.deepEqual(
    sent.slice(1).map((s) => s.split(' ')[0]),
    ['b/rollouts/status-test-1/targets/4'],
    'the failed page again',
  );
});
