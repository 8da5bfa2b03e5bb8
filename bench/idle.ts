/**
 * The daemon as users run it (`dmconfirm agent --config F`, a child process): time from
 * spawn to ready, then resident memory and CPU while idle at 1 s polling, read from /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SimulatedSite } from '../src/demo/site.js';
import { agentTopics } from '../src/mqtt/contract.js';
import { Observer } from '../test/helpers/mqtt-clients.js';
import { reapOnExit } from '../test/helpers/child-reaper.js';
import { sleep } from './stats.js';

export interface IdleResult {
  startupOnlineMs: number;
  startupReadyMs: number;
  rssMb: number;
  /** At the end of the window (smaps_rollup): memory only this process has, and node's own shared file pages. */
  privateMb: number;
  sharedMb: number;
  /** A bare `node` idling with the unit's flags, read the same way: the floor under any Node daemon. */
  bareNodeRssMb: number;
  bareNodePrivateMb: number;
  cpuPct: number;
  windowS: number;
  runner: string;
}

/** The node flags the systemd unit starts the agent with (between `node` and the script). */
export function unitNodeFlags(unitText = readFileSync('systemd/dmconfirm-agent.service', 'utf8')): string[] {
  const execStart = /^ExecStart=(.*)$/m.exec(unitText)?.[1] ?? '';
  const words = execStart.trim().split(/\s+/);
  const node = words.indexOf('node');
  const script = words.findIndex((w) => w.endsWith('/dist/cli/main.js'));
  return node >= 0 && script > node ? words.slice(node + 1, script) : [];
}

/** dist when built (what systemd runs; for the daemon, with the unit's node flags), tsx otherwise (slower start: it
 * compiles on load). */
export function cliCommand(options: { asTheUnit?: boolean } = {}): { args: string[]; runner: string } {
  const flags = options.asTheUnit ? unitNodeFlags() : [];
  return existsSync('dist/cli/main.js')
    ? { args: [...flags, 'dist/cli/main.js'], runner: ['node', ...flags, 'dist/cli/main.js'].join(' ') }
    : {
        args: [...flags, '--import', 'tsx', 'src/cli/main.ts'],
        runner: ['node', ...flags, '--import tsx src/cli/main.ts'].join(' '),
      };
}

function cpuTicks(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN);
}

/** Private (dirty + clean) and shared resident kB from /proc/PID/smaps_rollup. */
function residentKb(pid: number): { privateKb: number; sharedKb: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    privateKb: field('Private_Dirty') + field('Private_Clean'),
    sharedKb: field('Shared_Dirty') + field('Shared_Clean'),
  };
}

/** VmRSS and private kB of `node` (with the unit's flags) doing nothing but a timer, after a second. */
async function bareNode(): Promise<{ rssKb: number; privateKb: number }> {
  const child = spawn(process.execPath, [...unitNodeFlags(), '-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  reapOnExit(child);
  try {
    await sleep(1500);
    return { rssKb: rssKb(child.pid!), privateKb: residentKb(child.pid!).privateKb };
  } finally {
    child.kill('SIGKILL');
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export async function idleAgent(brokerUrl: string, windowS: number, log: (line: string) => void): Promise<IdleResult> {
  const site = new SimulatedSite({ brokerUrl, protocolVersion: 5, routerConfig: { pollIntervalMs: 1000 } });
  await site.start();
  const topics = agentTopics('dmconfirm/v1', site.siteName, site.agentId);
  const observer = await Observer.connect(brokerUrl, [topics.status, topics.routerState('hap1')]);
  const { args, runner } = cliCommand({ asTheUnit: true });
  const started = performance.now();
  const child = spawn(process.execPath, [...args, 'agent', '--config', site.configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NOTIFY_SOCKET: '' },
  });
  reapOnExit(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const online = await observer.waitFor(
      (m) => m.topic === topics.status && m.payload.includes('"online"'),
      `agent online (${stderr})`,
      30_000,
    );
    const onlineAt = performance.now();
    void online;
    await observer.waitFor(
      (m) => m.topic === topics.routerState('hap1') && m.payload.includes('"reachable":true'),
      'first router state',
      30_000,
    );
    const readyAt = performance.now();
    log(
      `  agent (${runner}) online after ${Math.round(onlineAt - started)} ` +
        `ms, router state after ${Math.round(readyAt - started)} ms`,
    );
    await sleep(5000); // startup work (JIT, first checkpoint) is not idle
    const pid = child.pid!;
    const ticks0 = cpuTicks(pid);
    const t0 = performance.now();
    let rssMax = 0;
    while (performance.now() - t0 < windowS * 1000) {
      await sleep(1000);
      rssMax = Math.max(rssMax, rssKb(pid));
    }
    const cpuS = (cpuTicks(pid) - ticks0) / TICKS_PER_SECOND;
    const elapsedS = (performance.now() - t0) / 1000;
    const resident = residentKb(pid);
    const bare = await bareNode();
    return {
      privateMb: resident.privateKb / 1024,
      sharedMb: resident.sharedKb / 1024,
      bareNodeRssMb: bare.rssKb / 1024,
      bareNodePrivateMb: bare.privateKb / 1024,
      startupOnlineMs: onlineAt - started,
      startupReadyMs: readyAt - started,
      rssMb: rssMax / 1024,
      cpuPct: (cpuS / elapsedS) * 100,
      windowS: elapsedS,
      runner,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    await observer.close().catch(() => undefined);
    await site.stop();
  }
}
