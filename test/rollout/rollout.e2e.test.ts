// Issue 12, end to end: real mosquitto, real agents with simulated routers, the coordinator
// as `rollout start` runs it. Two refusals in wave 1 meet the abort criterion: the targets
// of wave 2 never get an order and their routers are never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Agent } from '../../src/agent/agent.js';
import { loadConfig } from '../../src/config/load.js';
import { OperatorTeam } from '../../src/demo/operators.js';
import { silentLogger } from '../../src/log/logger.js';
import { brokerSettings } from '../../src/operator/broker.js';
import { inventoryFromBroker } from '../../src/rollout/broker-inventory.js';
import { runCoordinator } from '../../src/rollout/run.js';
import { renderJournal } from '../../src/rollout/status-view.js';
import { SimulatedRouter } from '../../src/sim/index.js';
import { buildCampaign, TargetTree } from '../../src/trust/campaign/build.js';
import { buildChange } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import { Mosquitto } from '../helpers/mosquitto.js';

const TIMING = { bootMs: 200, shutdownMs: 100, minOffMs: 300 };

async function startAgent(dir: string, i: number, brokerUrl: string, allowContainer: boolean) {
  const router = new SimulatedRouter({ password: 'pw', serialNumber: `RSN${i}`, timing: TIMING });
  await router.start();
  const home = join(dir, `a${i}`);
  await mkdir(join(home, 'state'), { recursive: true });
  const file = join(home, 'agent.yaml');
  await writeFile(
    file,
    stringify({
      agent: {
        id: `agent-${i}`,
        site: `site${i % 2}`,
        stateDir: 'state',
        trustRoot: join(dir, 'trust.json'),
        key: { file: join(dir, 'agent.key') },
        clock: 'assume-synced',
      },
      log: { level: 'fatal', pretty: false },
      mqtt: { url: brokerUrl, protocolVersion: 5, reconnectMinMs: 200, reconnectMaxMs: 2000 },
      policy: {
        allowedFeatures: allowContainer ? ['container'] : [],
        maxOperationsPerHour: 10,
        minActionMarginMs: 5000,
      },
      routers: [
        {
          name: 'hap1',
          host: '127.0.0.1',
          port: router.apiPort,
          username: 'admin',
          password: { file: join(dir, 'router.password') },
          pollIntervalMs: 200,
          bootTimeoutMs: 30_000,
          methods: ['power'],
          actuators: {
            power: {
              driver: 'sim',
              url: `http://127.0.0.1:${router.controlPort}`,
              timing: { offMs: 1000, offMinMs: 1000, pressMs: 100 },
            },
          },
        },
      ],
    }),
  );
  const agent = await Agent.create(loadConfig(file, { env: {} }).config, {
    logger: silentLogger(),
    checkpointIntervalMs: 3_600_000,
  });
  await agent.start();
  return { agent, router };
}

void test('a rollout over real agents stops at its abort criterion; unreleased targets never act', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-rollout-'));
  const broker = new Mosquitto({ persistence: true });
  const running: Array<{ agent: Agent; router: SimulatedRouter }> = [];
  t.after(async () => {
    await Promise.allSettled(
      running.map(async (r) => {
        await r.agent.stop();
        await r.router.stop();
      }),
    );
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  await broker.start();
  const team = new OperatorTeam();
  await writeFile(join(dir, 'trust.json'), await team.trustRootText());
  await writeFile(
    join(dir, 'agent.key'),
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
    { mode: 0o600 },
  );
  await writeFile(join(dir, 'router.password'), 'pw\n', { mode: 0o600 });
  // Agent 0 allows container; agents 1 and 2 (wave 1) refuse it by local policy; 3 and 4 would allow it.
  for (let i = 0; i < 5; i++) running.push(await startAgent(dir, i, broker.url, i === 0 || i > 2));
  const targets = Array.from({ length: 5 }, (_, i) => ({
    site: `site${i % 2}`,
    agent: `agent-${i}`,
    router: { serial: `RSN${i}` },
  }));
  await writeFile(join(dir, 'targets.yaml'), stringify({ targets }));
  // The same inventory, read from the agents' retained router states (`rollout plan --broker`), once all are paired.
  let found = await inventoryFromBroker(brokerSettings({ broker: broker.url }, 'plan'), {
    base: 'dmconfirm/v1',
    quietMs: 200,
    maxMs: 3000,
    connectTimeoutMs: 5000,
  });
  for (let i = 0; i < 40 && found.targets.length < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    found = await inventoryFromBroker(brokerSettings({ broker: broker.url }, 'plan'), {
      base: 'dmconfirm/v1',
      quietMs: 200,
      maxMs: 3000,
      connectTimeoutMs: 5000,
    });
  }
  const bySite = [...targets].sort((a, b) => `${a.site}/${a.agent}`.localeCompare(`${b.site}/${b.agent}`));
  assert.deepEqual(found.targets, bySite);
  const ops = { name: team.requester.name, keyId: team.requester.keyId };
  const campaign = buildCampaign({
    campaignId: 'e2e-rollout-abort',
    requester: ops,
    coordinator: { name: team.requester.name },
    now: Date.now() - 1000,
    window: { notAfter: new Date(Date.now() + 3600_000).toISOString() },
    change: buildChange({ enable: ['container'] }),
    method: 'power',
    activationTimeoutSeconds: 60,
    tree: new TargetTree(targets.map(({ agent, router }) => ({ agent, router }))),
    waves: [{ count: 1 }, { count: 2 }, { percent: 100 }],
    abort: { minExecuted: 2, maxFailures: 2 },
  });
  await writeFile(
    join(dir, 'campaign.json'),
    await team.sign(campaign, TYP.campaign, [team.requester, ...team.approvers.slice(0, 2)]),
  );

  const coordinator = await runCoordinator({
    dir: join(dir, 'rollout'),
    campaignFile: join(dir, 'campaign.json'),
    targetsFile: join(dir, 'targets.yaml'),
    trustRootFile: join(dir, 'trust.json'),
    key: team.requester,
    base: 'dmconfirm/v1',
    broker: brokerSettings({ broker: broker.url }, 'rollout'),
    connectTimeoutMs: 10_000,
    tickMs: 100,
    targetTimeoutMs: 90_000,
    releaseValidityMs: 60_000,
    logger: silentLogger(),
    until: new Promise(() => undefined),
  });
  const j = coordinator.journal;
  assert.ok(j.finishedAt);
  assert.equal(j.aborted?.by, 'criterion', JSON.stringify(j.aborted));
  assert.deepEqual(
    j.targets.map((x) => x.state),
    ['succeeded', 'refused', 'refused', 'cancelled', 'cancelled'],
  );
  assert.deepEqual(
    j.targets.slice(1, 3).map((x) => x.code),
    ['policy-feature', 'policy-feature'],
  );
  assert.equal(j.releases.length, 2, 'wave 2 was never released');
  assert.equal(running[0]!.router.state().deviceMode.features.container, true);
  for (const i of [1, 2, 3, 4]) {
    assert.equal(running[i]!.router.state().deviceMode.features.container, false, `router ${i} untouched`);
    assert.equal(running[i]!.router.state().attemptCount, 0);
  }
  const status = renderJournal(j, campaign, { all: true });
  assert.match(status, /abort criteria .*: MET: 2 of 3 executed failed/);
  assert.match(status, /wave 2 site1\/agent-3 RSN3: cancelled/);
  // A second start on the finished state directory releases nothing more.
  const journalBefore = await readFile(join(dir, 'rollout', 'rollout.json'), 'utf8');
  const again = await runCoordinator({
    dir: join(dir, 'rollout'),
    trustRootFile: join(dir, 'trust.json'),
    key: team.requester,
    base: 'dmconfirm/v1',
    broker: brokerSettings({ broker: broker.url }, 'rollout'),
    connectTimeoutMs: 10_000,
    tickMs: 100,
    releaseValidityMs: 60_000,
    logger: silentLogger(),
    until: new Promise(() => undefined),
  });
  assert.equal(again.journal.releases.length, 2);
  assert.equal(await readFile(join(dir, 'rollout', 'rollout.json'), 'utf8'), journalBefore);
});
