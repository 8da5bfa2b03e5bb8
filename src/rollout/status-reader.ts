import type { MqttLinkSettings } from '../mqtt/connection.js';
import { parsePayload, rolloutPageSchema, rolloutSummarySchema, rolloutTopics } from '../mqtt/contract.js';
import type { RolloutPage, RolloutSummary, RolloutTargetStatus } from '../mqtt/contract.js';
import { connectOperator } from '../operator/broker.js';

export interface BrokerRolloutStatus {
  summary: RolloutSummary;
  /** Every target the pages of this summary gave, in campaign order; undefined when not asked for. */
  targets?: RolloutTargetStatus[];
}

/**
 * `rollout status --broker`: the coordinator's retained status, from any machine. With a
 * campaign id: its summary and its pages of targets (only pages of the same campaign digest);
 * without: every campaign's summary. Collected until everything expected came, or nothing
 * came for `quietMs` (at most `maxMs`).
 */
export async function rolloutStatusFromBroker(
  settings: MqttLinkSettings,
  o: { base: string; campaignId?: string; quietMs: number; maxMs: number; connectTimeoutMs: number },
): Promise<BrokerRolloutStatus[]> {
  const topics = rolloutTopics(o.base, o.campaignId ?? '+');
  const summaries = new Map<string, RolloutSummary>();
  const pages = new Map<number, RolloutPage>();
  let last = Date.now();
  const complete = () => {
    if (o.campaignId === undefined) return false;
    const summary = summaries.get(o.campaignId);
    if (!summary) return false;
    const mine = [...pages.values()].filter((p) => p.digest === summary.digest);
    return mine.length === summary.targets.pages;
  };
  const link = await connectOperator(settings, {
    subscriptions: o.campaignId === undefined ? [topics.summary] : [topics.summary, topics.pages],
    timeoutMs: o.connectTimeoutMs,
    onMessage: (m) => {
      last = Date.now();
      if (m.payload.length === 0) return;
      try {
        if (m.topic.endsWith('/summary')) {
          const summary = parsePayload(rolloutSummarySchema, m.topic, m.payload);
          if (m.topic === rolloutTopics(o.base, summary.campaignId).summary) summaries.set(summary.campaignId, summary);
        } else {
          const page = parsePayload(rolloutPageSchema, m.topic, m.payload);
          if (m.topic === rolloutTopics(o.base, page.campaignId).page(page.page)) pages.set(page.page, page);
        }
      } catch {
        // Not in the contract (or on another topic than it names): not a status.
      }
    },
  });
  const started = Date.now();
  try {
    while (!complete() && Date.now() - last < o.quietMs && Date.now() - started < o.maxMs)
      await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await link.stop({ timeoutMs: 1000 });
  }
  const sorted = [...summaries.values()].sort((a, b) => (a.campaignId < b.campaignId ? -1 : 1));
  if (o.campaignId === undefined) return sorted.map((summary) => ({ summary }));
  return sorted.map((summary) => ({
    summary,
    targets: [...pages.values()]
      .filter((p) => p.digest === summary.digest && p.page < summary.targets.pages)
      .sort((a, b) => a.page - b.page)
      .flatMap((p) => p.targets),
  }));
}
