/**
 * `npm run bench`: latency, press accuracy under load, idle cost and fleet load, on
 * loopback against a real mosquitto and the simulators. Prints a table, the shortfalls,
 * and as the last line one JSON object with every figure.
 *
 *   --quick           fewer samples, a 50-agent fleet, a 10 s idle window (smoke run)
 *   BENCH_FLEET=N     fleet size (default 2000; 50 with --quick)
 *   BENCH_FLEET_PROCS shard processes for the fleet, one site broker each (default 4)
 *   BENCH_FLEET_POLL_MS  the fleet agents' poll interval (default 15000)
 *   BENCH_FLEET_RATE  orders published per second (default 100)
 *   BENCH_FLEET_TOPOLOGY bridged (default: site brokers bridged to a central one) or single
 *   BENCH_IDLE_S      idle CPU window in seconds (default 60; 10 with --quick)
 *   BENCH_ROLLOUT=N   rollout targets (default 1000; 100 with --quick)
 */
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { runFleet } from './fleet.js';
import { startTopology } from './fleet-topology.js';
import { runRollout } from './rollout.js';
import { idleAgent } from './idle.js';
import { changeRequestSamples, observedPendingSamples, summarize, type LatencyResult } from './latency.js';
import { pressSamples } from './press.js';
import { percentile, renderTable, round, shortfalls, type Figure } from './stats.js';

const quick = process.argv.includes('--quick');
const intEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const plan = {
  observed: quick ? 6 : 30,
  changes: quick ? 3 : 10,
  presses: quick ? 18 : 60,
  idleS: intEnv('BENCH_IDLE_S', quick ? 10 : 60),
  fleet: intEnv('BENCH_FLEET', quick ? 50 : 2000),
  fleetProcs: intEnv('BENCH_FLEET_PROCS', quick ? 2 : 4),
  fleetPollMs: intEnv('BENCH_FLEET_POLL_MS', 15000),
  fleetRate: intEnv('BENCH_FLEET_RATE', 100),
  fleetTopology: process.env.BENCH_FLEET_TOPOLOGY === 'single' ? ('single' as const) : ('bridged' as const),
  rollout: intEnv('BENCH_ROLLOUT', quick ? 100 : 1000),
};
const log = (line: string): void => console.log(line);
const DEFAULT_POLL_MS = 1000;

async function main(): Promise<void> {
  log(`dmconfirm bench${quick ? ' (quick)' : ''}: ${JSON.stringify(plan)}`);
  const figures: Figure[] = [];

  log("latency: someone else's update → challenge → approval → button press (poll 1000 ms)");
  const lat: LatencyResult = {
    approvalToEdge: [],
    approvalToActuatingAnswer: [],
    approvalFsyncs: [],
    detectObserved: [],
    requestToPending: [],
    e2eOverhead: [],
    failures: [],
  };
  await observedPendingSamples(plan.observed, lat, log);
  log('latency: signed change request → pending → power cut → verified');
  await changeRequestSamples(plan.changes, lat, log);
  for (const f of lat.failures) log(`  sample failed: ${f}`);
  const a2e = summarize(lat.approvalToEdge);
  const n = (values: number[]) => `n=${values.length}`;
  figures.push(
    {
      key: 'approval_to_actuation_p50',
      value: a2e.p50,
      unit: 'ms',
      note: `approval publish → simulator button-down, ${n(lat.approvalToEdge)}`,
    },
    {
      key: 'approval_to_actuation_p99',
      value: a2e.p99,
      unit: 'ms',
      target: 20,
      note:
        `of which approval → "actuating" answer p50 ${round(percentile(lat.approvalToActuatingAnswer, 50))} ` +
        '(read once, verify, the router read beside the trust ledger and audit writes, one journal write), ' +
        'the rest the relay HTTP call',
    },
    {
      key: 'approval_fsyncs',
      value: percentile(lat.approvalFsyncs, 50),
      unit: 'fsyncs',
      // The path's own are 5 (docs/agent.md); an approval that lands while the challenge's
      // own writes still run counts those too.
      note:
        `fsyncs between approval publish and button-down (median; min ${Math.min(...lat.approvalFsyncs)}), ` +
        n(lat.approvalFsyncs),
    },
    {
      key: 'request_to_pending_p50',
      value: round(percentile(lat.requestToPending, 50)),
      unit: 'ms',
      target: 200,
      note: `request publish → simulator update-requested, ${n(lat.requestToPending)}`,
    },
    {
      key: 'detect_observed_pending_p50',
      value: round(percentile(lat.detectObserved, 50)),
      unit: 'ms',
      target: DEFAULT_POLL_MS + 100,
      note: `update-requested → challenge received, poll ${DEFAULT_POLL_MS} ms, ${n(lat.detectObserved)}`,
    },
    {
      key: 'e2e_overhead_p50',
      value: round(percentile(lat.e2eOverhead, 50)),
      unit: 'ms',
      target: 1500,
      note: `request → final "done" minus off and boot time (simulator events), ${n(lat.e2eOverhead)}`,
    },
  );

  log('press length with every core busy');
  const press = await pressSamples(plan.presses, log);
  figures.push({
    key: 'press_duration_error_p99',
    value: round(percentile(press.lineErrors, 99)),
    unit: 'ms',
    target: 10,
    // The GPIO line's own timestamps: the press is held and released by gpioset, not by Node.
    note:
      `${press.busyThreads} spinning threads; GPIO line held by gpioset (stand-in stamping CLOCK_MONOTONIC) ` +
      `${press.realtime ? 'at SCHED_FIFO' : 'at normal priority (chrt refused)'}, ` +
      `${n(press.lineErrors)}; libgpiod v1 p99 ${round(percentile(press.v1LineErrors, 99))}; ` +
      `child at normal priority p99 ${round(percentile(press.normalPriorityLineErrors, 99))}; ActionReport edges p99 ` +
      `${round(percentile(press.edgeErrors, 99))}; event-loop-timed ` +
      `sim presses p99 ${round(percentile(press.eventLoopErrors, 99))}`,
  });

  const broker = new Mosquitto({ persistence: false });
  await broker.start();
  try {
    log(`idle agent process: startup, then ${plan.idleS} s at 1 s polling`);
    const idle = await idleAgent(broker.url, plan.idleS, log);
    figures.push(
      {
        key: 'agent_rss_idle_mb',
        value: round(idle.rssMb),
        unit: 'MB',
        target: 60,
        note:
          `VmRSS max over the window, ${idle.runner}; at the end ${round(idle.privateMb)} MB private + ` +
          `${round(idle.sharedMb)} MB shared (node's own code pages); bare node ${round(idle.bareNodeRssMb)} MB ` +
          `(${round(idle.bareNodePrivateMb)} MB private)`,
      },
      {
        key: 'agent_private_idle_mb',
        value: round(idle.privateMb),
        unit: 'MB',
        note: 'Private_Dirty + Private_Clean (smaps_rollup): what this agent costs beyond the node binary',
      },
      {
        key: 'agent_cpu_idle_pct',
        value: round(idle.cpuPct, 2),
        unit: '%',
        target: 1,
        note: `/proc utime+stime over ${round(idle.windowS)} s, one core`,
      },
      {
        key: 'agent_startup_ms',
        value: Math.round(idle.startupReadyMs),
        unit: 'ms',
        target: 1500,
        note: `spawn → first router state (online status at ${Math.round(idle.startupOnlineMs)} ms)`,
      },
    );

    log(`rollout: a campaign of ${plan.rollout} targets in waves, released by the coordinator to simulated agents`);
    const r = await runRollout(broker.url, plan.rollout, log);
    figures.push(
      {
        key: 'rollout_targets',
        value: r.targets,
        unit: '',
        atLeast: quick ? 1 : 1000,
        note: `${r.succeeded} succeeded; every order verified by the agent-side verifier`,
      },
      {
        key: 'rollout_s',
        value: round(r.seconds, 2),
        unit: 's',
        note: 'coordinator start → every target final (4 waves, 50 ms simulated operations)',
      },
      { key: 'rollout_ops_lost', value: r.lost, unit: '', target: 0, note: 'targets with no successful final answer' },
      {
        key: 'rollout_abort_overrun',
        value: r.abortStartedAfter,
        unit: '',
        target: 0,
        note:
          `targets started after the criterion beyond wave ${r.abortWaveInFlight} ` +
          `in flight; ${r.abortReleased} of ${r.abortTargets} released (${r.why})`,
      },
    );
  } finally {
    await broker.dispose();
  }
  const topology = await startTopology(plan.fleetTopology, plan.fleetProcs);
  try {
    log(
      `fleet: ${plan.fleet} agents in ${plan.fleetProcs} processes on ${topology.name}, ` +
        `poll ${plan.fleetPollMs} ms, one power cycle each at ${plan.fleetRate}/s`,
    );
    const fleet = await runFleet(topology, plan.fleet, plan.fleetProcs, plan.fleetPollMs, plan.fleetRate, log);
    for (const f of fleet.failures) log(`  fleet failure: ${f}`);
    figures.push(
      {
        key: 'fleet_agents',
        value: fleet.agents,
        unit: '',
        atLeast: quick ? 1 : 2000,
        note: `${fleet.ready} ready; ${topology.name}`,
      },
      {
        key: 'fleet_ops_ok',
        value: fleet.ok,
        unit: '',
        atLeast: fleet.agents,
        note: `all answered in ${Math.round(fleet.opsWallMs)} ms; ${fleet.failed} failed`,
      },
      { key: 'fleet_ops_lost', value: fleet.lost, unit: '', target: 0, note: 'orders with no final answer' },
      {
        key: 'fleet_status_ms',
        value: Math.round(fleet.statusMs),
        unit: 'ms',
        note: `dmconfirm status --json at the central broker, spawn → exit; ${fleet.statusAgents} agents listed done`,
      },
    );
  } finally {
    await topology.dispose();
  }

  log('');
  log(renderTable(figures));
  const missed = shortfalls(figures);
  log(missed.length === 0 ? '\nall targets met' : `\n${missed.join('\n')}`);
  console.log(JSON.stringify(Object.fromEntries(figures.map((f) => [f.key, Number.isNaN(f.value) ? null : f.value]))));
}

await main();
// Everything is stopped and the figures are printed. After the 2000-agent fleet, node's own
// exit-time handle cleanup (FreeEnvironment → CleanupHandles, seen in gdb) spun on one core
// and never returned; exiting explicitly skips it.
process.exit(0);
