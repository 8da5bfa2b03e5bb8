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

/**
 * The fleet agents' power actuator (the simulator's switch). The agent proves a reboot after
 * its power cut by an uptime shorter than the time since the cut, less 1.5 s of slack; when
 * its uptime read before the cut timed out (a starved process), that margin is only the off
 * time less the slack and the latency of the read afterwards, because a simulated router's
 * uptime counts from the instant power returns (a real one adds its boot loader's seconds).
 * A 1 s cut left no margin, and some cycles of 500 agents sharing one process came back
 * `not-confirmed` ("uptime kept counting"); 4 s leaves 2.5 s (test/bench/fleet-timing.test.ts).
 */
export const POWER_TIMING = { offMs: 4000, offMinMs: 1000, pressMs: 100 };

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
