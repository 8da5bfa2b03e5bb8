import { describeChange } from '../trust/change.js';
import { parseDurationSeconds } from '../trust/drafts.js';
import { refuse } from '../trust/refusal.js';
import { abortText } from '../trust/campaign/describe.js';
import { waveSizes } from '../trust/campaign/schema.js';
import type { Campaign, Wave } from '../trust/campaign/schema.js';
import type { FleetTarget } from './inventory.js';

/**
 * `--waves 1,5%,25%,rest`: counts or percentages of all targets, in order; `rest` (or a
 * last wave that does not reach the end) takes whatever is left. `--pause` is the wait after
 * each wave finished before the next is released.
 */
export function parseWaves(spec: string, pause: string | undefined): Wave[] {
  const pauseSeconds = pause === undefined ? undefined : parseDurationSeconds(pause);
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0 || parts.length > 100)
    refuse('bad-payload', '--waves: 1 to 100 comma-separated sizes like 1,5%,25%,rest');
  return parts.map((part, i) => {
    const extra = pauseSeconds !== undefined && i < parts.length - 1 ? { pauseSeconds } : {};
    if (part === 'rest') {
      if (i !== parts.length - 1) refuse('bad-payload', '--waves: "rest" can only be the last wave');
      return { percent: 100, ...extra };
    }
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(part);
    if (percent) {
      const value = Number(percent[1]);
      if (!(value > 0 && value <= 100))
        refuse('bad-payload', `--waves: ${part} is not a percentage above 0 and at most 100`);
      return { percent: value, ...extra };
    }
    if (!/^[1-9]\d{0,6}$/.test(part))
      refuse('bad-payload', `--waves: "${part}" is not a count, a percentage or "rest"`);
    return { count: Number(part), ...extra };
  });
}

/** What `rollout plan` shows: the change, the criteria, and every wave with its targets. */
export function renderPlan(campaign: Campaign, targets: readonly FleetTarget[], options: { full: boolean }): string {
  const lines = [
    `campaign ${campaign.campaignId}: ${describeChange(campaign.change)} ` +
      `by ${campaign.method}, ${targets.length} target(s)`,
    `  requester ${campaign.requester.name}, releases signed by ${campaign.coordinator.name}`,
    `  window ${campaign.window.notBefore ?? 'now'} .. ${campaign.window.notAfter}`,
    `  target tree ${campaign.targets.tree} root ${campaign.targets.root}`,
    `  abort when ${abortText(campaign)}`,
  ];
  let start = 0;
  for (const [wave, size] of waveSizes(campaign.waves, targets.length).entries()) {
    const pause = campaign.waves[wave]?.pauseSeconds;
    lines.push(
      `wave ${wave}: ${size} target(s)${pause && wave < campaign.waves.length - 1 ? `, then ${pause} s pause` : ''}`,
    );
    const members = targets.slice(start, start + size);
    const shown = options.full ? members : members.slice(0, 5);
    for (const t of shown) lines.push(`  ${t.site}/${t.agent} ${t.router.serial ?? t.router.systemId ?? ''}`);
    if (shown.length < members.length) lines.push(`  ... ${members.length - shown.length} more (--full lists all)`);
    start += size;
  }
  return lines.join('\n');
}
