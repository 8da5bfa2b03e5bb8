/**
 * Press length under load: the sim actuator presses the simulated router's button while
 * worker threads spin on every core. The router's own button down/up events are the
 * "hardware" view; the ActionReport edges are the actuator's view. Both are judged.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createActuator } from '../src/actuators/index.js';
import { actuatorSchema } from '../src/config/actuator-schema.js';
import { silentLogger } from '../src/log/logger.js';
import { SimulatedRouter } from '../src/sim/index.js';

export interface PressResult {
  /** |(up − down) − requested| from the simulator's events. */
  routerErrors: number[];
  /** The same from the actuator's ActionReport edges (monoMs). */
  edgeErrors: number[];
  busyThreads: number;
}

const SPIN = 'for (;;) { Math.sqrt(Math.random()); }';

export async function pressSamples(samples: number, log: (line: string) => void): Promise<PressResult> {
  const router = new SimulatedRouter({ password: 'x' });
  await router.start();
  let down: number | undefined;
  const lengths: number[] = [];
  router.on('button', (e: { down: boolean }) => {
    if (e.down) down = performance.now();
    else if (down !== undefined) lengths.push(performance.now() - down);
  });
  const config = actuatorSchema.parse({
    driver: 'sim',
    url: `http://127.0.0.1:${router.controlPort}`,
    timing: { pressMs: 300, pressMinMs: 50, pressMaxMs: 1000 },
  });
  const actuator = createActuator(config, { logger: silentLogger(), name: 'bench/button' });
  await actuator.start();
  const busyThreads = availableParallelism();
  const workers = Array.from({ length: busyThreads }, () => new Worker(SPIN, { eval: true }));
  const result: PressResult = { routerErrors: [], edgeErrors: [], busyThreads };
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the spinners start
    for (let i = 0; i < samples; i++) {
      const requested = [50, 100, 200, 300, 500, 800][i % 6]!;
      const before = lengths.length;
      const report = await actuator.press(requested);
      const engaged = report.edges.find((e) => e.edge === 'button-down');
      const released = report.edges.find((e) => e.edge === 'button-up');
      if (engaged && released) result.edgeErrors.push(Math.abs(released.monoMs - engaged.monoMs - requested));
      const seen = lengths[before];
      if (seen !== undefined) result.routerErrors.push(Math.abs(seen - requested));
      if ((i + 1) % 10 === 0) log(`  press ${i + 1}/${samples}: requested ${requested} ms, router saw ${seen?.toFixed(1) ?? '?'} ms`);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await actuator.stop();
    await router.stop();
  }
  return result;
}
