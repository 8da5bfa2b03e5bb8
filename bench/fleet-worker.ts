/**
 * One shard of the fleet: agents `from`..`to`-1, each with its own simulated router, in
 * this process. Prints one JSON line when all are up; stops them all on SIGTERM.
 * Run by fleet.ts: `node --import tsx bench/fleet-worker.ts '<json>'`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Agent } from '../src/agent/agent.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log/logger.js';
import { SimulatedRouter } from '../src/sim/index.js';
import { POWER_TIMING, serialOf, TIMING, type ShardSpec } from './fleet-spec.js';

async function startOne(spec: ShardSpec, i: number): Promise<{ agent: Agent; router: SimulatedRouter }> {
  const router = new SimulatedRouter({ password: 'bench', serialNumber: serialOf(i), timing: TIMING });
  await router.start();
  const dir = join(spec.dir, `a${i}`);
  await mkdir(join(dir, 'state'), { recursive: true });
  const control = `http://127.0.0.1:${router.controlPort}`;
  const file = join(dir, 'agent.yaml');
  await writeFile(
    file,
    stringify({
      agent: {
        id: `a${i}`,
        site: spec.site,
        stateDir: 'state',
        trustRoot: spec.trustFile,
        key: { file: spec.keyFile },
        clock: 'assume-synced',
      },
      log: { level: 'fatal', pretty: false },
      mqtt: { url: spec.brokerUrl, protocolVersion: 5, reconnectMinMs: 500, reconnectMaxMs: 5000 },
      policy: { allowedFeatures: [], maxOperationsPerHour: 10, minActionMarginMs: 5000 },
      routers: [
        {
          name: 'hap1',
          host: '127.0.0.1',
          port: router.apiPort,
          username: 'admin',
          password: { file: spec.passwordFile },
          pollIntervalMs: spec.pollIntervalMs,
          bootTimeoutMs: 30_000,
          methods: ['power'],
          actuators: { power: { driver: 'sim', url: control, timing: POWER_TIMING } },
        },
      ],
    }),
  );
  const agent = await Agent.create(loadConfig(file, { env: {} }).config, {
    logger: silentLogger(),
    checkpointIntervalMs: 3_600_000,
  });
  agent.on('fatal', (error) => process.stdout.write(`${JSON.stringify({ fatal: `a${i}: ${error.message}` })}\n`));
  await agent.start();
  return { agent, router };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ShardSpec;
  const running: Array<{ agent: Agent; router: SimulatedRouter }> = [];
  const indices = Array.from({ length: spec.to - spec.from }, (_, k) => spec.from + k);
  for (let k = 0; k < indices.length; k += spec.startConcurrency) {
    running.push(...(await Promise.all(indices.slice(k, k + spec.startConcurrency).map((i) => startOne(spec, i)))));
  }
  process.stdout.write(
    `${JSON.stringify({ ready: running.length, rssMb: Math.round(process.memoryUsage().rss / 1048576) })}\n`,
  );
  const stop = async () => {
    await Promise.allSettled(
      running.map(async ({ agent, router }) => {
        await agent.stop();
        await router.stop();
      }),
    );
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
}

await main();
