// Issue 12: the rollout commands as an operator types them (docs/rollouts.md): plan and sign
// a campaign, check it, start the coordinator against real mosquitto, read its status, abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateKeyFiles } from '../../src/trust/keys.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { cli, fails, ok } from '../trust/cli-harness.js';
import { tempDir } from '../trust/fixtures.js';

/** `rollout start` of campaign.json on these targets, against trust.json, releasing with this key. */
const start = (stateDir: string, targets: string, key: string, ...more: string[]) => [
  ...['rollout', 'start', '--state-dir', stateDir, '--campaign', 'campaign.json', '--targets', targets],
  ...['--trust-root', 'trust.json', '--key', key, ...more],
];

void test('CLI: plan, cosign, check, start (no agent answers: timed out, aborted), status, abort', async (t) => {
  const d = tempDir(t);
  for (const name of ['alice', 'bob', 'carol', 'ops-bot']) await generateKeyFiles(join(d, name));
  await ok(d, [
    'trust',
    'init',
    '--out',
    'trust.json',
    '--root',
    'alice.pub,bob.pub',
    '--root-threshold',
    '2',
    '--approver',
    'alice.pub,bob.pub,carol.pub',
    '--approver-threshold',
    '2',
    '--requester',
    'ops-bot.pub',
    '--key',
    'alice',
    '--key',
    'bob',
  ]);
  const targets = Array.from({ length: 12 }, (_, i) => ({
    site: 'riga',
    agent: `pi-${i}`,
    router: { serial: `HF${1000 + i}` },
  }));
  await writeFile(join(d, 'fleet.yaml'), stringify({ targets }));
  const plan = [
    'rollout',
    'plan',
    '--targets',
    'fleet.yaml',
    '--id',
    'spring-container',
    '--enable',
    'container',
    '--method',
    'power',
    '--not-after',
    '+2d',
    '--waves',
    '2,25%,rest',
    '--abort-failures',
    '2',
    '--min-executed',
    '2',
    '--coordinator',
    'ops-bot',
  ];
  await ok(d, plan, /wave 0: 2 target\(s\)\n.*\n.*\nwave 1: 3 target\(s\)[\s\S]*wave 2: 7 target\(s\)/);
  await fails(
    d,
    [
      'rollout',
      'plan',
      '--targets',
      'fleet.yaml',
      '--enable',
      'container',
      '--method',
      'power',
      '--not-after',
      '+2d',
      '--coordinator',
      'ops-bot',
      '--waves',
      'rest,2',
    ],
    2,
    /"rest" can only be the last wave/,
  );
  await ok(d, [...plan, '--key', 'ops-bot.key', '--out', 'campaign.json'], /signed by ops-bot/);
  await fails(d, start('rollout', 'fleet.yaml', 'ops-bot.key', '--check'), 2, /too-few-approvers/);
  await ok(
    d,
    ['cosign', 'campaign.json', '--key', 'alice.key'],
    /campaign spring-container: container=yes by power on 12 target/,
  );
  await ok(d, ['cosign', 'campaign.json', '--key', 'bob.key']);
  // Only the coordinator the campaign names may release it.
  await fails(d, start('other', 'fleet.yaml', 'alice.key', '--check'), 2, /release-unauthorized/);
  await writeFile(join(d, 'fewer.yaml'), stringify({ targets: targets.slice(1) }));
  await fails(d, start('fewer', 'fewer.yaml', 'ops-bot.key', '--check'), 2, /not-in-campaign/);
  await ok(
    d,
    start('rollout', 'fleet.yaml', 'ops-bot.key', '--check'),
    /approved, 12 targets match, ops-bot may release/,
  );

  const broker = new Mosquitto();
  t.after(() => broker.dispose());
  await broker.start();
  // No agent is listening: both targets of wave 0 time out, which meets the criterion; nothing more is released.
  const quick = ['--broker', broker.url, '--tick', '100ms', '--target-timeout', '2s', '--release-validity', '2s'];
  const run = await cli(d, start('rollout', 'fleet.yaml', 'ops-bot.key', ...quick));
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /aborted: 2 of 2 executed failed: reached 2 failures/);
  const status = await ok(d, ['rollout', 'status', '--state-dir', 'rollout']);
  assert.match(status, /finished .*; 1 of 3 wave\(s\) released/);
  assert.match(
    status,
    /queued 0, released 0, in-progress 0, succeeded 0, failed 0, timed-out 2, refused 0, cancelled 10/,
  );
  assert.match(status, /abort criteria .*: MET/);
  assert.match(status, /wave 0 riga\/pi-0 HF1000: timed-out/);
  await fails(d, ['rollout', 'abort', '--state-dir', 'nowhere'], 2, /no rollout journal/);
  await ok(d, ['rollout', 'abort', '--state-dir', 'rollout', '--reason', 'wrong firmware'], /recorded/);
  await fails(d, ['rollout', 'resume', '--state-dir', 'rollout'], 1, /cannot resume/);
  // Started again (as systemd would), it resumes from the pinned campaign and releases nothing more.
  const again = await cli(d, [
    'rollout',
    'start',
    '--state-dir',
    'rollout',
    '--trust-root',
    'trust.json',
    '--key',
    'ops-bot.key',
    '--broker',
    broker.url,
    '--tick',
    '100ms',
  ]);
  assert.equal(again.code, 1, again.out);
  assert.match(await ok(d, ['rollout', 'status', '--state-dir', 'rollout']), /1 of 3 wave\(s\) released/);
});
