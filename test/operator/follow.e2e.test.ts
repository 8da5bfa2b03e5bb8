// Finding and following an operation from the operator's side, end to end with the real CLI,
// mosquitto and a stand-in agent: an order to an agent that never spoke is refused at once;
// Ctrl-C during --wait leaves the operation running and says how to follow it; `follow`
// re-attaches by request id or message file, also to an operation that already ended.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { encodePayload } from '../../src/mqtt/contract.js';
import type { RouterStateMessage } from '../../src/mqtt/contract.js';
import { agentTopics } from '../../src/mqtt/topics.js';
import { Mosquitto, waitFor } from '../helpers/mosquitto.js';
import { MAIN, runCli, TSX } from '../cli/fixtures/run-cli.js';
import { Responder } from './responder.js';
import { routerState, signedRequest } from './fixtures.js';

const broker = new Mosquitto({ persistence: false });
let responder: Responder;
let dir: string;

before(async () => {
  await broker.start();
  responder = await Responder.start(broker.url, 'dmconfirm/v1', 'lab', 'pi1');
  dir = mkdtempSync(join(tmpdir(), 'dmconfirm-follow-'));
});

after(async () => {
  await responder.close();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function requestFile(agent: string): Promise<{ file: string; requestId: string }> {
  const { bytes, requestId } = await signedRequest(agent, Date.now());
  const file = join(dir, `${requestId}.json`);
  writeFileSync(file, bytes);
  return { file, requestId };
}

async function retainRouterState(state: RouterStateMessage): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  await client.publishAsync(agentTopics('dmconfirm/v1', 'lab', 'pi1').routerState('main'), encodePayload(state), {
    qos: 1,
    retain: true,
  });
  await client.endAsync();
}

/** The CLI as a running child, its output collected as it comes. */
function running(args: string[]) {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = {
    child,
    out: '',
    err: '',
    exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout.on('data', (d: Buffer) => (run.out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.err += d.toString()));
  return run;
}

const cli = (args: string[]) => runCli(args, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });

void test('an order for an agent that never published a status is refused, naming the agents there are', async () => {
  const before = responder.received.length;
  const { file } = await requestFile('pi9');
  const started = Date.now();
  const r = await cli(['publish', file, '--broker', broker.url, '--site', 'lab', '--wait', '10m']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /agent "pi9" at site "lab" has never published a status on this broker .*nothing was sent\. agents at site lab: pi1/,
  );
  assert.ok(Date.now() - started < 60_000, 'did not wait for the agent');
  const site = await cli(['publish', file, '--broker', broker.url, '--site', 'lbb']);
  assert.equal(site.code, 2);
  assert.match(site.stderr, /no agent at site "lbb"; agents this broker knows: lab\/pi1/);
  assert.equal(responder.received.length, before, 'nothing reached any agent');
});

void test('Ctrl-C during --wait stops following only, and says how to follow again', async () => {
  responder.script = () => [{ state: 'requesting' }];
  const { file, requestId } = await requestFile('pi1');
  const run = running(['publish', file, '--broker', broker.url, '--site', 'lab', '--wait', '10m']);
  await waitFor(() => (run.out.includes('requesting') ? true : undefined), 'the first answer', 60_000);
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 130, run.err);
  const again = `Follow it again with: dmconfirm follow ${requestId} --broker ${broker.url.replace(/[.]/g, '\\.')}`;
  assert.match(
    run.err,
    new RegExp(`stopped following \\(last state: requesting\\); the operation goes on at the agent\\. ${again}`),
  );
});

void test('follow re-attaches to a running operation and reads it to its end', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  responder.script = () => [
    { state: 'requesting' },
    { state: 'actuating' },
    { state: 'done', final: true, detail: 'verified', after: gate },
  ];
  const { file, requestId } = await requestFile('pi1');
  const sent = await cli(['publish', file, '--broker', broker.url, '--site', 'lab']);
  assert.equal(sent.code, 0, sent.stderr);
  // As the agent does: the running operation in the router's retained state.
  const operation = {
    id: 'op-1',
    kind: 'change' as const,
    state: 'actuating' as const,
    since: new Date().toISOString(),
    requestId,
  };
  await retainRouterState(routerState('main', { operation }));
  const run = running(['follow', file, '--broker', broker.url, '--wait', '5m']);
  await waitFor(() => (run.err.includes('now actuating since') ? true : undefined), 'follow attached', 60_000);
  assert.match(run.err, /now actuating since .* on router main of lab\/pi1/);
  release();
  assert.equal(await run.exited, 0, run.err);
  assert.match(run.out, /done +router main {2}verified/);
  assert.match(run.out, /^done: verified$/m);
});

void test('follow of an operation that already ended says how it ended, from the retained router state', async () => {
  const { requestId } = await requestFile('pi1');
  await retainRouterState(
    routerState('main', {
      lastResult: {
        operationId: 'op-9',
        requestId,
        state: 'failed',
        at: new Date().toISOString(),
        detail: 'router not back',
      },
    }),
  );
  const r = await cli(['follow', requestId, '--broker', broker.url]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /failed +router main {2}router not back/);
  assert.match(r.stderr, /^dmconfirm: failed: router not back$/m);
});
