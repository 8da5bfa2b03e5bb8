import type { RolloutPage, RolloutSummary, RolloutTargetStatus } from '../mqtt/rollout-status.js';
import { ROLLOUT_HEARTBEAT_SECONDS, ROLLOUT_PAGE_SIZE } from '../mqtt/rollout-status.js';
import type { Campaign } from '../trust/campaign/schema.js';
import { abortText } from '../trust/campaign/describe.js';
import type { RolloutJournal } from './journal.js';
import { abortVerdict, countStates, TARGET_STATES } from './verdict.js';

export interface RolloutStatus {
  summary: RolloutSummary;
  pages: RolloutPage[];
}

/** The status as the coordinator publishes it (and `rollout status` shows it): a summary and pages of targets. */
export function buildStatus(journal: RolloutJournal, campaign: Campaign, now: number): RolloutStatus {
  const counts = countStates(journal.targets.map((t) => t.state));
  const verdict = abortVerdict(counts, campaign.abort);
  const at = new Date(now).toISOString();
  const pages = Math.ceil(journal.targets.length / ROLLOUT_PAGE_SIZE);
  const phase = journal.finishedAt ? 'finished' : journal.aborted ? 'aborting' : journal.paused ? 'paused' : 'running';
  const base = { v: 1 as const, campaignId: journal.campaignId, digest: journal.campaignDigest, at };
  const summary: RolloutSummary = {
    ...base,
    phase,
    wavesReleased: journal.releases.length,
    waves: campaign.waves.length,
    counts,
    abort: { criteria: abortText(campaign), met: verdict.abort, why: verdict.why },
    ...(journal.aborted && { aborted: journal.aborted }),
    ...(journal.finishedAt && { finishedAt: journal.finishedAt }),
    targets: { count: journal.targets.length, pageSize: ROLLOUT_PAGE_SIZE, pages },
  };
  const targets: RolloutTargetStatus[] = journal.targets.map((t) => ({
    index: t.index,
    site: t.site,
    agent: t.agent,
    router: t.router,
    wave: t.wave,
    state: t.state,
    ...(t.updatedAt && { updatedAt: t.updatedAt }),
    ...(t.code && { code: t.code }),
    ...(t.detail && { detail: t.detail }),
  }));
  return {
    summary,
    pages: Array.from({ length: pages }, (_, page) => ({
      ...base,
      page,
      pages,
      targets: targets.slice(page * ROLLOUT_PAGE_SIZE, (page + 1) * ROLLOUT_PAGE_SIZE),
    })),
  };
}

/**
 * `rollout status`: counts, the abort verdict, and one line per target (or only those not
 * succeeded). `targets` undefined: the per-target states are not known (summary only).
 */
export function renderStatus(
  summary: RolloutSummary,
  targets: readonly RolloutTargetStatus[] | undefined,
  options: { all: boolean; now?: number },
): string {
  const phase =
    summary.phase === 'finished'
      ? `finished ${summary.finishedAt ?? ''}`
      : summary.phase === 'aborting'
        ? 'aborted, waiting for the wave in flight'
        : summary.phase;
  const lines = [
    `campaign ${summary.campaignId}: ${phase}; ${summary.wavesReleased} of ${summary.waves} wave(s) released`,
    `  ${TARGET_STATES.map((s) => `${s} ${summary.counts[s]}`).join(', ')}`,
    `  abort criteria (${summary.abort.criteria}): ${summary.abort.met ? 'MET' : 'not met'}: ${summary.abort.why}`,
  ];
  if (summary.aborted) lines.push(`  aborted ${summary.aborted.at} by ${summary.aborted.by}: ${summary.aborted.why}`);
  if (options.now !== undefined) {
    const age = Math.round((options.now - Date.parse(summary.at)) / 1000);
    const stale = summary.phase !== 'finished' && age > 3 * ROLLOUT_HEARTBEAT_SECONDS;
    lines.push(`  as of ${summary.at} (${age} s ago)${stale ? ': the coordinator has not published since' : ''}`);
  }
  if (targets === undefined) return lines.join('\n');
  const missing = summary.targets.count - targets.length;
  if (missing > 0) lines.push(`  ${missing} target(s) not received from the broker`);
  for (const t of targets) {
    if (!options.all && (t.state === 'succeeded' || t.state === 'queued')) continue;
    const why = t.code || t.detail ? ` (${[t.code, t.detail].filter(Boolean).join(': ')})` : '';
    lines.push(`  wave ${t.wave} ${t.site}/${t.agent} ${t.router.serial ?? t.router.systemId ?? ''}: ${t.state}${why}`);
  }
  return lines.join('\n');
}

/** `rollout status --state-dir`: the journal on this machine, shown as the coordinator publishes it. */
export function renderJournal(journal: RolloutJournal, campaign: Campaign, options: { all: boolean }): string {
  const { summary, pages } = buildStatus(journal, campaign, Date.now());
  return renderStatus(
    summary,
    pages.flatMap((p) => p.targets),
    options,
  );
}
