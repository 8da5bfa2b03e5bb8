import { describeChange } from '../change.js';
import { parseStrictOrRefuse } from '../strict-json.js';
import { campaignSchema, waveSizes } from './schema.js';
import type { Campaign } from './schema.js';

/** "3 failure(s) or more than 10% failed, from 5 executed target(s)". */
export function abortText(campaign: Pick<Campaign, 'abort'>): string {
  const a = campaign.abort;
  const rules = [
    ...(a.maxFailures !== undefined ? [`${a.maxFailures} failure(s)`] : []),
    ...(a.maxFailurePercent !== undefined ? [`more than ${a.maxFailurePercent}% failed`] : []),
  ];
  return `${rules.join(' or ')}, from ${a.minExecuted} executed target(s)`;
}

/** What an approver is shown before co-signing a campaign: the agent's own reading of it. */
export function describeCampaign(payload: Uint8Array): string {
  const c = parseStrictOrRefuse(campaignSchema, payload, 'bad-payload', 'campaign');
  return [
    `campaign ${c.campaignId}: ${describeChange(c.change)} by ${c.method} ` +
      `on ${c.targets.count} target(s) (tree root ${c.targets.root})`,
    `requested by ${c.requester.name}, releases by ${c.coordinator.name}, ` +
      `window ${c.window.notBefore ?? 'now'} .. ${c.window.notAfter}`,
    `waves ${waveSizes(c.waves, c.targets.count).join(', ')}; abort at ${abortText(c)}`,
  ].join('\n  ');
}
