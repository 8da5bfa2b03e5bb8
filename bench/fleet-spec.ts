/** What the fleet parent tells each shard, and the names both sides derive from an index. */
export interface ShardSpec {
  brokerUrl: string;
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
