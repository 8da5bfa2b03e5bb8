// Issue 12 and the bench's agent_rss_idle_mb: a module the daemon loads stays in its memory for
// as long as it runs. This runs the real daemon (`dmconfirm agent --config F`, a child process)
// until it serves its router, asks it for every module it has loaded (loaded-modules.preload.ts)
// and checks that nothing it does not need while it waits is among them. Deterministic: it looks
// at what is loaded, not at how many megabytes that takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedSite } from '../../src/demo/site.js';
import { agentTopics } from '../../src/mqtt/contract.js';
import { Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { Observer } from '../helpers/mqtt-clients.js';
import { AgentProcess } from './harness.js';
import type { LoadedModules } from './loaded-modules.preload.js';

/** What the idle daemon must not have loaded, each with where it belongs instead. */
const NOT_AT_IDLE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/src\/(trust\/campaign|rollout)\/\S*/, 'campaign and rollout code (loaded with the first campaign order)'],
  [/\/src\/cli\/commands\/(?!(index|agent)\.)\S*/, 'another command than `agent` (the CLI loads only the one run)'],
  [/\/src\/(demo\/|operator\/(?!settings\.)|doctor\/(?!check\.))\S*/, 'the demo, operator tools or doctor'],
  [/\/src\/(sim\/(?!behaviour\.|profiles\.)|probe\/(?!known-behaviours\.|report\.))\S*/, 'the simulators or the probe'],
  [/\/node_modules\/(serialport|@serialport|net-snmp)\//, 'a device library (loaded when such a device is used)'],
  [/\/node_modules\/(ssh2|aedes|selfsigned|pino-pretty)\//, 'an operator or demo tool library'],
  [/\/node_modules\/luxon\//, 'luxon (loaded with the first site window; this site has none)'],
  [/^NativeModule (internal\/deps\/undici\/|http2$)/, 'fetch (undici compiles a WebAssembly parser: ~20 MB)'],
];

const TITLE = 'the idle daemon has loaded no campaign, rollout, other command, tool, simulator or unused driver code';

void test(TITLE, async (t) => {
  const broker = new Mosquitto({ persistence: false });
  await broker.start();
  t.after(() => broker.dispose());
  const site = new SimulatedSite({ brokerUrl: broker.url, protocolVersion: 5 });
  await site.start();
  t.after(async () => {
    await site.stop();
    rmSync(site.dir, { recursive: true, force: true });
  });
  const topics = agentTopics('dmconfirm/v1', site.siteName, site.agentId);
  const observer = await Observer.connect(broker.url, [topics.routerState('hap1')]);
  t.after(() => observer.close());

  const daemon = new AgentProcess(site.configFile, ['--import', './test/e2e/loaded-modules.preload.ts']);
  t.after(() => daemon.kill('SIGKILL'));
  await daemon.start();
  // Serving its router: the actuators were released (started) before the first poll.
  await observer.waitFor((m) => m.payload.includes('"reachable":true'), `router state (${daemon.output})`, 45_000);
  const file = join(site.dir, 'loaded-modules.json');
  daemon.kill('SIGUSR2');
  await waitFor(() => (existsSync(file) ? true : undefined), 'the loaded-modules list', 10_000);
  const loaded = JSON.parse(readFileSync(file, 'utf8')) as LoadedModules;
  daemon.kill('SIGTERM');
  assert.equal((await daemon.exited()).code, 0, daemon.output);

  // The list is real: the agent's own modules and its MQTT library are in it.
  assert.ok(
    loaded.esm.some((url) => url.endsWith('/src/agent/agent.ts')),
    'agent.ts loaded',
  );
  assert.ok(
    loaded.cjs.some((path) => path.includes('/node_modules/mqtt/')),
    'mqtt loaded',
  );
  assert.ok(loaded.builtin.includes('NativeModule http'), 'node:http loaded');
  const names = [...loaded.esm, ...loaded.cjs, ...loaded.builtin];
  const found = NOT_AT_IDLE.flatMap(([pattern, why]) => {
    const hits = new Set(names.flatMap((name) => pattern.exec(name)?.[0] ?? []));
    return hits.size > 0 ? [`${why}: ${[...hits].join(', ')}`] : [];
  });
  assert.deepEqual(found, []);
});
