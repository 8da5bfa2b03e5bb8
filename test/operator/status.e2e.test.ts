// `dmconfirm status` against the retained messages of two fake agents on a real mosquitto:
// the CLI as a child process for the table and --json, the runner in-process for --watch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import {
  agentTopics,
  challengeMessageSchema,
  encodePayload,
  routerStateSchema,
  statusSchema,
} from '../../src/mqtt/contract.js';
import { brokerSettings } from '../../src/operator/broker.js';
import { showStatus } from '../../src/operator/status.js';
import { freePort, Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { challenge, routerState, status } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, MAIN, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const broker = new Mosquitto({ persistence: false });
let agents: MqttClient;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const MIN = 60_000;
const lab = agentTopics('dmconfirm/v1', 'lab', 'pi1');
const depot = agentTopics('dmconfirm/v1', 'depot', 'pi2');

async function retain(topic: string, payload: string): Promise<void> {
  await agents.publishAsync(topic, payload, { qos: 1, retain: true });
}

before(async () => {
  await broker.start();
  agents = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'fake-agents' });
  // Every message is parsed with the contract's schema before it is published, as the agent does.
  await retain(
    lab.status,
    encodePayload(statusSchema.parse(status('lab', 'pi1', 'online', ago(2 * 60 * MIN + 10_000)))),
  );
  await retain(
    lab.routerState('main'),
    encodePayload(
      routerStateSchema.parse(
        routerState('main', {
          attemptCount: 1,
          operation: {
            id: 'op-9',
            kind: 'change',
            state: 'actuating',
            since: ago(5 * MIN + 10_000),
            requestId: 'req-00000009',
          },
          lastResult: { operationId: 'op-8', state: 'done', at: ago(3 * 60 * MIN + 10_000) },
        }),
      ),
    ),
  );
  await retain(
    lab.routerState('edge'),
    encodePayload(
      routerStateSchema.parse(
        routerState('edge', { reachable: false, deviceMode: null, attemptCount: null, flagged: null }),
      ),
    ),
  );
  await retain(
    depot.status,
    encodePayload(statusSchema.parse(status('depot', 'pi2', 'offline', ago(10 * MIN + 10_000), 'connection-lost'))),
  );
  await retain(
    depot.routerState('gw'),
    encodePayload(routerStateSchema.parse(routerState('gw', { flagged: true, attemptCount: 3 }))),
  );
  await retain(
    depot.challenge('gw'),
    encodePayload(
      challengeMessageSchema.parse({
        // The agent's wall clock is off by an hour; its monotonic expiresInMs is what counts.
        ...challenge('gw', new Date(Date.now() - 60 * MIN).toISOString()),
        expiresInMs: 4 * MIN + 30_000,
        operationId: 'op-3',
      }),
    ),
  );
  // Not ours, and not the contract: neither may show up as an agent.
  await retain('dmconfirm/v1/lab/pi1/events', '{"not":"retained state"}');
  await retain('dmconfirm/v1/junk/pi3/status', '{"v":1}');
});

after(async () => {
  await agents.endAsync(true);
  await broker.dispose();
});

void test('status --wide prints one row per router of every agent the broker holds retained state for', async () => {
  const r = await cli(['status', '--broker', broker.url, '--wide']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    'SITE   AGENT  AGENT STATUS                   ROUTER  REACHABLE  MODE ' +
      ' ATTEMPTS  FLAGGED  OPERATION            LAST RESULT  CHALLENGE',
    'depot  pi2    offline 10m (connection-lost)  gw      ?          home  ' +
      '3         yes      -                    -            open op-3, up to 4m left',
    'lab    pi1    online 2h                      edge    no        ' +
      ' ?     ?         ?        -                    -            -',
    'lab    pi1    online 2h                      main    yes       ' +
      ' home  1         no       change actuating 5m  done 3h ago  -',
  ]);
  assert.match(r.stderr, /ignored dmconfirm\/v1\/junk\/pi3\/status: /);
});

void test('status fits 80 columns by merging; agents offline longer than --offline-after listed apart', async () => {
  const r = await cli(['status', '--broker', broker.url]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  for (const line of lines) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
  assert.match(lines[0]!, /^AGENT +STATUS +ROUTER +MODE +ATT +NOW$/);
  assert.match(r.stdout, /^depot\/pi2 +offline 10m \(lost\) +gw +home FLAGGED +3 +challenge up to 4m$/m);
  assert.match(r.stdout, /^lab\/pi1 +online 2h +edge +\? +\? +UNREACHABLE; -$/m);
  assert.match(r.stdout, /^lab\/pi1 +online 2h +main +home +1 +change actuating 5m$/m);
  const apart = await cli(['status', '--broker', broker.url, '--offline-after', '5m']);
  assert.equal(apart.code, 0, apart.stderr);
  const [table, gone] = apart.stdout.split('\n\n');
  assert.doesNotMatch(table!, /depot/);
  assert.match(
    gone!,
    /^offline for longer than 5m \(dmconfirm forget --agent ID clears one\):\n {2}depot\/pi2 {2}offline 10m \(connection-lost\)$/m,
  );
});

void test('status --json gives the contract messages themselves', async () => {
  const r = await cli(['status', '--broker', broker.url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const model = JSON.parse(r.stdout) as {
    agents: Array<{
      site: string;
      agent: string;
      status: { state: string } | null;
      routers: Array<{ router: string; state: { attemptCount: number | null } }>;
    }>;
  };
  assert.deepEqual(
    model.agents.map((a) => `${a.site}/${a.agent}:${a.status?.state}:${a.routers.map(countOf).join(',')}`),
    ['depot/pi2:offline:gw=3', 'lab/pi1:online:edge=null,main=1'],
  );
});

void test('status --watch redraws when an agent changes state, until stopped', async () => {
  let text = '';
  let stop: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (stop = resolve));
  const running = showStatus(brokerSettings({ broker: broker.url }, 'test'), {
    base: 'dmconfirm/v1',
    json: false,
    watch: true,
    connectTimeoutMs: 5000,
    quietMs: 200,
    maxSettleMs: 3000,
    out: { write: (s: string) => (text += s) },
    err: { write: () => undefined },
    until,
  });
  await waitFor(() => (/depot +pi2 +offline/.test(text) ? true : undefined), 'first drawing');
  await agents.publishAsync(
    depot.status,
    encodePayload(statusSchema.parse(status('depot', 'pi2', 'online', ago(1000)))),
    { qos: 1, retain: true },
  );
  await waitFor(() => (/depot +pi2 +online \d+s/.test(text) ? true : undefined), 'redrawn after the agent came back');
  await agents.publishAsync(depot.challenge('gw'), '', { qos: 1, retain: true });
  await waitFor(() => (/depot +pi2 +online .* {2}-\n/.test(text) ? true : undefined), 'challenge closed');
  stop();
  const result = await running;
  assert.equal(result.code, 0);
  assert.equal(result.fleet.agents['depot/pi2']?.routers.gw?.challenge, undefined);
});

void test("the first look ends when no new topic comes, however busy the fleet's heartbeats keep it", async () => {
  // Heartbeats republish known retained topics all the time: they must not hold the look open.
  const beat = encodePayload(statusSchema.parse(status('lab', 'pi1', 'online', ago(1000))));
  const heartbeats = setInterval(
    () => void agents.publishAsync(lab.status, beat, { qos: 1, retain: true }).catch(() => undefined),
    20,
  );
  try {
    const started = Date.now();
    const result = await showStatus(brokerSettings({ broker: broker.url }, 'test'), {
      base: 'dmconfirm/v1',
      json: true,
      watch: false,
      connectTimeoutMs: 5000,
      quietMs: 300,
      maxSettleMs: 60_000,
      out: { write: () => undefined },
      err: { write: () => undefined },
    });
    assert.equal(result.code, 0);
    assert.deepEqual(Object.keys(result.fleet.agents).sort(), ['depot/pi2', 'lab/pi1']);
    assert.ok(Date.now() - started < 30_000, `the look waited for the cap: ${Date.now() - started} ms`);
  } finally {
    clearInterval(heartbeats);
  }
});

void test('status against an unreachable broker exits 4', async () => {
  const r = await cli(['status', '--broker', `mqtt://127.0.0.1:${await freePort()}`, '--connect-timeout', '2s']);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stderr, /cannot reach the broker/);
});

function countOf(r: { router: string; state: { attemptCount: number | null } }): string {
  return `${r.router}=${r.state.attemptCount}`;
}
