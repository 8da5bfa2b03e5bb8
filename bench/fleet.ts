/**
 * Many agents: shards of agents (each with its own simulated router) in a few child
 * processes, each shard on its own site broker bridged to the central one (or all on one
 * broker); one signed power cycle order per agent published centrally, every answer
 * counted there; then `dmconfirm status` over the whole fleet, timed as a user would see it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OperatorTeam } from '../src/demo/operators.js';
import { agentTopics, type AgentResponse } from '../src/mqtt/contract.js';
import { reapOnExit } from '../test/helpers/child-reaper.js';
import { Observer } from '../test/helpers/mqtt-clients.js';
import { serialOf, type FleetTopology, type ShardSpec } from './fleet-spec.js';
import { cliCommand } from './idle.js';
import { sleep } from './stats.js';

export interface FleetResult {
  agents: number;
  ready: number;
  ok: number;
  failed: number;
  lost: number;
  opsWallMs: number;
  statusMs: number;
  statusAgents: number;
  failures: string[];
}

/**
 * `ratePerS` paces the orders the way a rollout releases waves: a 2-core machine running
 * every agent and router cannot power-cycle 2000 simulated routers in the same second.
 */
export async function runFleet(
  topology: FleetTopology,
  agents: number,
  shards: number,
  pollIntervalMs: number,
  ratePerS: number,
  log: (line: string) => void,
): Promise<FleetResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-fleet-'));
  const team = new OperatorTeam();
  const trustFile = join(dir, 'trust.json');
  const keyFile = join(dir, 'agent.key');
  const passwordFile = join(dir, 'router.password');
  await writeFile(trustFile, await team.trustRootText());
  await writeFile(keyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  await writeFile(passwordFile, 'bench\n', { mode: 0o600 });
  const brokerUrl = topology.operatorUrl;
  const per = Math.ceil(agents / shards);
  const siteOf = (i: number) => topology.shard(Math.floor(i / per)).site;
  const observer = await Observer.connect(brokerUrl, [
    'dmconfirm/v1/+/+/routers/+/state',
    'dmconfirm/v1/+/+/progress/+',
  ]);
  const ready = new Set<string>();
  const doneStates = new Set<string>();
  const finals = new Map<string, AgentResponse>();
  observer.client.on('message', (topic, payload) => {
    const text = payload.toString();
    if (topic.endsWith('/state') && text !== '') {
      const state = JSON.parse(text) as { reachable: boolean; lastResult: { state: string } | null };
      if (state.reachable) ready.add(topic.split('/')[3]!);
      if (state.lastResult?.state === 'done') doneStates.add(topic.split('/')[3]!);
    } else if (topic.includes('/progress/') && text !== '') {
      const answer = JSON.parse(text) as AgentResponse;
      if (answer.data.final) finals.set(answer.id, answer);
    }
  });
  const children: ChildProcess[] = [];
  const result: FleetResult = {
    agents,
    ready: 0,
    ok: 0,
    failed: 0,
    lost: agents,
    opsWallMs: NaN,
    statusMs: NaN,
    statusAgents: 0,
    failures: [],
  };
  try {
    const started = performance.now();
    const up: Array<Promise<void>> = [];
    for (let s = 0; s < shards; s++) {
      const spec: ShardSpec = {
        ...topology.shard(s),
        dir,
        trustFile,
        keyFile,
        passwordFile,
        from: s * per,
        to: Math.min(agents, (s + 1) * per),
        pollIntervalMs,
        startConcurrency: 10,
      };
      if (spec.from >= spec.to) break;
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/fleet-worker.ts', JSON.stringify(spec)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      reapOnExit(child);
      children.push(child);
      up.push(
        new Promise((resolve, reject) => {
          createInterface({ input: child.stdout }).on('line', (line) => {
            const msg = JSON.parse(line) as { ready?: number; rssMb?: number; fatal?: string };
            if (msg.fatal) result.failures.push(msg.fatal);
            if (msg.ready !== undefined) {
              log(`  shard ${s}: ${msg.ready} agents up (process RSS ${msg.rssMb} MB)`);
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`fleet shard ${s} exited with ${code}`)));
        }),
      );
    }
    await Promise.all(up);
    await until(() => ready.size >= agents, 120_000);
    result.ready = ready.size;
    log(`  ${ready.size}/${agents} agents ready after ${Math.round(performance.now() - started)} ms`);

    const orders = await Promise.all(
      Array.from({ length: agents }, async (_, i) => ({
        i,
        jws: await team.powerCycle({ agent: `a${i}`, router: { serial: serialOf(i) }, reason: 'hung' }),
      })),
    );
    const ids = orders.map(
      ({ jws }) =>
        (
          JSON.parse(Buffer.from((JSON.parse(jws) as { payload: string }).payload, 'base64url').toString()) as {
            requestId: string;
          }
        ).requestId,
    );
    const opsStart = performance.now();
    const batch = Math.max(1, Math.round(ratePerS / 10));
    for (let k = 0; k < orders.length; k += batch) {
      const wave = orders.slice(k, k + batch);
      await Promise.all(
        wave.map(({ i, jws }) =>
          observer.client.publishAsync(agentTopics('dmconfirm/v1', siteOf(i), `a${i}`).powercycle, jws, { qos: 1 }),
        ),
      );
      await sleep(Math.max(0, opsStart + ((k + batch) / ratePerS) * 1000 - performance.now()));
    }
    await until(() => ids.every((id) => finals.has(id)), 180_000);
    result.opsWallMs = performance.now() - opsStart;
    for (const [k, id] of ids.entries()) {
      const final = finals.get(id);
      if (final?.data.state === 'done') result.ok++;
      else if (final) {
        result.failed++;
        if (result.failures.length < 5)
          result.failures.push(`a${k}: ${final.data.state} ${final.error?.code ?? ''} ${final.data.detail ?? ''}`);
      }
    }
    result.lost = agents - result.ok - result.failed;
    log(
      `  ${result.ok} power cycles done, ${result.failed} failed, ` +
        `${result.lost} unanswered, in ${Math.round(result.opsWallMs)} ms`,
    );

    // The retained states that say "done" may trail the final answers by a moment; status reads what the broker holds.
    await until(() => doneStates.size >= result.ok, 30_000);
    const status = await timedStatus(
      brokerUrl,
      new Set(Array.from({ length: shards }, (_, s) => topology.shard(s).site)),
    );
    result.statusMs = status.ms;
    result.statusAgents = status.agents;
    log(
      `  dmconfirm status: ${status.listed} fleet agents listed (${status.agents} done) in ${Math.round(status.ms)} ms`,
    );
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
    await observer.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

/** `dmconfirm status --json` as a child process, wall time from spawn to exit. */
async function timedStatus(
  brokerUrl: string,
  sites: Set<string>,
): Promise<{ ms: number; agents: number; listed: number }> {
  const { args } = cliCommand();
  const started = performance.now();
  const child = spawn(process.execPath, [...args, 'status', '--broker', brokerUrl, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  reapOnExit(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`dmconfirm status exited with ${code}`);
  const model = JSON.parse(out) as {
    agents: Array<{ site: string; routers: Array<{ state: { lastResult: { state: string } | null } | null }> }>;
  };
  const fleet = model.agents.filter((a) => sites.has(a.site));
  const agents = fleet.filter((a) => a.routers.some((r) => r.state?.lastResult?.state === 'done')).length;
  return { ms, agents, listed: fleet.length };
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done() && performance.now() < deadline) await sleep(100);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
