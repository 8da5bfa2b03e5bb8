/**
 * The rollout bench: a campaign over N targets in waves, released by the real coordinator
 * (`runCoordinator`, real mosquitto) to lightweight simulated agents (rollout-fleet.ts) that
 * verify every order for real. Run 1 succeeds everywhere; run 2 fails part of wave 1 and must
 * stop there: no target of a later wave may start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { OperatorTeam } from '../src/demo/operators.js';
import { silentLogger } from '../src/log/logger.js';
import { brokerSettings } from '../src/operator/broker.js';
import { runCoordinator } from '../src/rollout/run.js';
import { buildCampaign, TargetTree } from '../src/trust/campaign/build.js';
import type { Wave } from '../src/trust/campaign/schema.js';
import { buildChange } from '../src/trust/drafts.js';
import { TYP } from '../src/trust/messages.js';
import { TrustRoot } from '../src/trust/trust-root.js';
import { SimulatedRolloutFleet } from './rollout-fleet.js';

export interface RolloutResult {
  targets: number;
  seconds: number;
  succeeded: number;
  lost: number;
  abortTargets: number;
  abortStartedAfter: number;
  abortWaveInFlight: number;
  abortReleased: number;
  why: string;
}

const BASE = 'dmconfirm/v1';
const WAVES: Wave[] = [{ count: 10 }, { percent: 10 }, { percent: 25 }, { percent: 100 }];

async function oneRollout(brokerUrl: string, team: OperatorTeam, n: number, failing: Set<string>, id: string) {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-rollout-bench-'));
  const trustText = await team.trustRootText();
  await writeFile(join(dir, 'trust.json'), trustText);
  const targets = Array.from({ length: n }, (_, i) => ({
    site: `s${i % 20}`,
    agent: `a${i}`,
    router: { serial: `RB${String(i).padStart(6, '0')}` },
  }));
  await writeFile(join(dir, 'targets.yaml'), stringify({ targets }));
  const ops = { name: team.requester.name, keyId: team.requester.keyId };
  const campaign = buildCampaign({
    campaignId: id,
    requester: ops,
    coordinator: ops,
    now: Date.now() - 1000,
    window: { notAfter: new Date(Date.now() + 86_400_000).toISOString() },
    change: buildChange({ enable: ['container'] }),
    method: 'power',
    activationTimeoutSeconds: 60,
    tree: new TargetTree(targets.map(({ agent, router }) => ({ agent, router }))),
    waves: WAVES,
    abort: { minExecuted: 10, maxFailurePercent: 5 },
  });
  await writeFile(
    join(dir, 'campaign.json'),
    await team.sign(campaign, TYP.campaign, [team.requester, ...team.approvers.slice(0, 2)]),
  );
  const fleet = await SimulatedRolloutFleet.start(brokerUrl, {
    base: BASE,
    root: TrustRoot.fromEnvelopeText(trustText),
    failing,
    operationMs: 50,
  });
  const started = performance.now();
  try {
    const coordinator = await runCoordinator({
      dir: join(dir, 'state'),
      campaignFile: join(dir, 'campaign.json'),
      targetsFile: join(dir, 'targets.yaml'),
      trustRootFile: join(dir, 'trust.json'),
      key: team.requester,
      base: BASE,
      broker: brokerSettings({ broker: brokerUrl }, 'rollout'),
      connectTimeoutMs: 10_000,
      tickMs: 50,
      targetTimeoutMs: 120_000,
      releaseValidityMs: 60_000,
      logger: silentLogger(),
      until: new Promise(() => undefined),
    });
    return { journal: coordinator.journal, seconds: (performance.now() - started) / 1000, fleet: fleet.stats };
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runRollout(brokerUrl: string, n: number, log: (line: string) => void): Promise<RolloutResult> {
  const team = new OperatorTeam();
  const ok = await oneRollout(brokerUrl, team, n, new Set(), 'bench-rollout-ok');
  const succeeded = ok.journal.targets.filter((t) => t.state === 'succeeded').length;
  log(`  ${n} targets in ${ok.journal.releases.length} waves: ${succeeded} succeeded in ${ok.seconds.toFixed(1)} s`);
  // Run 2: a quarter of wave 1 fails (above the 5% criterion): wave 1 is the wave in flight when it is met.
  const wave1 = Array.from({ length: Math.ceil(n / 10) }, (_, k) => `a${10 + k}`).filter((_, k) => k % 4 === 0);
  const abort = await oneRollout(brokerUrl, team, n, new Set(wave1), 'bench-rollout-abort');
  const abortedAt = abort.journal.aborted ? Date.parse(abort.journal.aborted.at) : Infinity;
  const inFlight = Math.max(
    0,
    ...abort.journal.releases.filter((r) => Date.parse(r.at) <= abortedAt).map((r) => r.wave),
  );
  const after = abort.fleet.started.filter((s) => s.at > abortedAt && s.wave > inFlight).length;
  log(
    `  abort run: ${abort.journal.aborted?.why ?? 'not aborted'}; ${abort.fleet.started.length} ` +
      `targets started, ${after} after the criterion beyond wave ${inFlight}`,
  );
  return {
    targets: n,
    seconds: ok.seconds,
    succeeded,
    lost: n - succeeded,
    abortTargets: n,
    abortStartedAfter: abort.journal.aborted ? after : NaN,
    abortWaveInFlight: inFlight,
    abortReleased: abort.journal.releases.reduce((sum, r) => sum + r.targets, 0),
    why: abort.journal.aborted?.why ?? 'never aborted',
  };
}
