import type { MqttLinkSettings } from '../mqtt/connection.js';
import { parsePayload, parseTopic, routerStateSchema } from '../mqtt/contract.js';
import { connectOperator } from '../operator/broker.js';
import type { FleetTarget } from './inventory.js';

export interface BrokerInventory {
  targets: FleetTarget[];
  /** Routers whose retained state names no serial or system id yet (never paired): left out. */
  skipped: string[];
}

/**
 * A fleet inventory from the agents' retained router states: every router that names its
 * paired unit, sorted by site, agent and router name (so one broker state gives one plan).
 * Collected until no retained message came for `quietMs` (at most `maxMs`).
 */
export async function inventoryFromBroker(
  settings: MqttLinkSettings,
  o: { base: string; quietMs: number; maxMs: number; connectTimeoutMs: number },
): Promise<BrokerInventory> {
  const seen = new Map<string, { target?: FleetTarget; name: string }>();
  let last = Date.now();
  const link = await connectOperator(settings, {
    subscriptions: [`${o.base}/+/+/routers/+/state`],
    timeoutMs: o.connectTimeoutMs,
    onMessage: (m) => {
      last = Date.now();
      const topic = parseTopic(o.base, m.topic);
      if (topic?.kind !== 'routerState' || m.payload.length === 0) return;
      try {
        const state = parsePayload(routerStateSchema, m.topic, m.payload);
        const router =
          state.serial !== undefined
            ? { serial: state.serial }
            : state.systemId !== undefined
              ? { systemId: state.systemId }
              : undefined;
        const name = `${topic.site}/${topic.agent}/${topic.router}`;
        seen.set(name, { name, ...(router ? { target: { site: topic.site, agent: topic.agent, router } } : {}) });
      } catch {
        // Not in the contract: not a target.
      }
    },
  });
  const started = Date.now();
  try {
    while (Date.now() - last < o.quietMs && Date.now() - started < o.maxMs) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await link.stop({ timeoutMs: 1000 });
  }
  const entries = [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    targets: entries.flatMap((e) => (e.target ? [e.target] : [])),
    skipped: entries.filter((e) => !e.target).map((e) => e.name),
  };
}
