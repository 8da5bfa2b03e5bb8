/** What the fleet parent tells each shard, and the names both sides derive from an index. */
export interface ShardSpec {
  /** The broker this shard's agents connect to (their site broker), and their `agent.site`. */
  brokerUrl: string;
  site: string;
  dir: string;
  trustFile: string;
  keyFile: string;
  passwordFile: string;
  from: number;
  to: number;
  pollIntervalMs: number;
  startConcurrency: number;
}

/** Tiny physical times instead of a time scale: the agent compares router uptime with its own clock. */
export const TIMING = { bootMs: 200, shutdownMs: 100, minOffMs: 300 };

export function serialOf(i: number): string {
  return `BENCH${String(i).padStart(5, '0')}`;
}

/**
 * Where the fleet's agents and its operators connect: one broker for everything, or a site
 * broker per shard bridged to the central broker the operators use.
 */
export interface FleetTopology {
  name: string;
  operatorUrl: string;
  shard(index: number): { brokerUrl: string; site: string };
}
