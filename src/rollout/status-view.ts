import type { Campaign } from '../trust/campaign/schema.js';
import type { RolloutJournal } from './journal.js';
import { abortText } from '../trust/campaign/describe.js';
import { abortVerdict, countStates, TARGET_STATES } from './verdict.js';

/** `rollout status`: counts, the abort verdict, and one line per target (or only those not succeeded). */
export function renderStatus(journal: RolloutJournal, campaign: Campaign, options: { all: boolean }): string {
  const counts = countStates(journal.targets.map((t) => t.state));
  const verdict = abortVerdict(counts, campaign.abort);
  const phase = journal.finishedAt
    ? `finished ${journal.finishedAt}`
    : journal.aborted
      ? 'aborted, waiting for the wave in flight'
      : journal.paused
        ? 'paused'
        : 'running';
  const lines = [
    `campaign ${journal.campaignId}: ${phase}; ${journal.releases.length} of ${campaign.waves.length} wave(s) released`,
    `  ${TARGET_STATES.map((s) => `${s} ${counts[s]}`).join(', ')}`,
    `  abort criteria (${abortText(campaign)}): ${verdict.abort ? 'MET' : 'not met'}: ${verdict.why}`,
  ];
  if (journal.aborted) lines.push(`  aborted ${journal.aborted.at} by ${journal.aborted.by}: ${journal.aborted.why}`);
  for (const t of journal.targets) {
    if (!options.all && (t.state === 'succeeded' || t.state === 'queued')) continue;
    const why = t.code || t.detail ? ` (${[t.code, t.detail].filter(Boolean).join(': ')})` : '';
    lines.push(`  wave ${t.wave} ${t.site}/${t.agent} ${t.router.serial ?? t.router.systemId ?? ''}: ${t.state}${why}`);
  }
  return lines.join('\n');
}
