/**
 * Orders waiting for their maintenance window, as `dmconfirm status` shows them: folded from
 * each agent's retained `scheduled` topic, rendered as lines under the fleet table. Pure.
 */
import { parsePayload, scheduledMessageSchema, type ScheduledMessage } from '../mqtt/contract.js';
import { formatDuration } from './progress.js';

export type ScheduledOrders = ScheduledMessage['orders'];

/** The orders a retained `scheduled` payload lists (empty payload: none). Throws a ContractError on a bad one. */
export function readScheduled(topic: string, payload: Buffer | string): ScheduledOrders {
  return payload.length === 0 ? [] : parsePayload(scheduledMessageSchema, topic, payload).orders;
}

/** "site/agent  router  request <id>  opens 2026-12-08T00:00:00.000Z (in 4h05m)  until ...". */
export function scheduledLines(
  agents: ReadonlyArray<{ site: string; agent: string; scheduled?: ScheduledOrders }>,
  now: number,
): string[] {
  const lines: string[] = [];
  for (const a of agents) {
    for (const o of a.scheduled ?? []) {
      const left = Date.parse(o.opensAt) - now;
      const when = left > 0 ? `in ${formatDuration(left)}` : 'opening now';
      const urgent = o.urgent ? ', urgent' : '';
      lines.push(
        `${a.site}/${a.agent}  ${o.router}  ${o.kind} ${o.requestId} ` +
          ` window ${o.opensAt} .. ${o.closesAt} (${when}${urgent})`,
      );
    }
  }
  return lines.length === 0
    ? []
    : ['', 'scheduled (waiting for their maintenance window):', ...lines.map((l) => `  ${l}`)];
}
