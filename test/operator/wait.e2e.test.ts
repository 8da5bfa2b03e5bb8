// `--broker --wait` end to end: the real CLI as a child process, a real mosquitto on
// loopback, and a responder that answers as the agent will. Exit codes are the contract
// scripts rely on: 0 done, 1 failed, 2 refused, 3 no answer, 4 broker unreachable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageDigest } from '../../src/mqtt/contract.js';
import { generateKeyFiles } from '../../src/trust/keys.js';
import { freePort, Mosquitto } from '../helpers/mosquitto.js';
import { Responder } from './responder.js';
import type { Step } from './responder.js';
import { challenge, signedRequest } from './fixtures.js';
import { runCli } from '../cli/fixtures/run-cli.js';

const cli = (cwd: string, args: string[]) => runCli(args, { cwd });

const broker = new Mosquitto({ persistence: false });
let responder: Responder;
let dir: string;

before(async () => {
  await broker.start();
  responder = await Responder.start(broker.url, 'dmconfirm/v1', 'lab', 'pi1');
  dir = mkdtempSync(join(tmpdir(), 'dmconfirm-operator-'));
  await generateKeyFiles(join(dir, 'alice'));
});

after(async () => {
  await responder.close();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const HAPPY: Step[] = [
  { state: 'requesting' },
  { state: 'pending' },
  { state: 'actuating', detail: 'power cut' },
  { state: 'rebooting' },
  { state: 'verifying' },
  { state: 'done', final: true, detail: 'device-mode verified' },
];

async function requestFile(name: string): Promise<{ file: string; requestId: string; bytes: Buffer }> {
  const { bytes, requestId } = await signedRequest('pi1', Date.now());
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return { file, requestId, bytes };
}

/** Where orders for pi1 at site lab go, and the router they are for. */
const onBroker = () => ['--broker', broker.url, '--site', 'lab'];
const TARGET = ['--agent', 'pi1', '--router-serial', 'HF0001'];
/** The agent's answers once it acts: to done. */
const ACTED: Step[] = [
  { state: 'actuating' },
  { state: 'rebooting' },
  { state: 'verifying' },
  { state: 'done', final: true },
];

const publish = (file: string, ...extra: string[]) => cli(dir, ['publish', file, ...onBroker(), ...extra]);

void test('publish --wait follows every state to done, exit 0; sent QoS 1, not retained, expiring', async () => {
  responder.script = () => HAPPY;
  const { file, requestId, bytes } = await requestFile('happy.json');
  const r = await publish(file, '--wait', '30s');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const states = r.stdout
    .split('\n')
    .map((l) => /^\d\d:\d\d:\d\dZ +\+\S+ +(\S+)/.exec(l)?.[1])
    .filter(Boolean);
  assert.deepEqual(states, ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done']);
  assert.match(r.stdout, /actuating {9}router main {2}power cut/);
  assert.match(r.stdout, /done: device-mode verified\n$/);
  assert.ok(!r.stdout.includes('\u001b'), 'no spinner when stdout is not a TTY');
  const got = responder.received.find((m) => m.requestId === requestId);
  assert.ok(got, 'the responder got the order');
  assert.equal(got.topic, 'dmconfirm/v1/lab/pi1/request');
  assert.ok(got.payload.equals(bytes), 'the exact signed bytes were published');
  assert.equal(got.retain, false);
  assert.equal(got.expiry, 30, 'MQTT 5 message expiry capped by the wait');
});

void test('a failed operation exits 1, and a forged "done" under our request id is ignored', async () => {
  responder.script = () => [
    { state: 'requesting', twice: true },
    { state: 'done', final: true, inReplyTo: messageDigest("someone else's bytes") },
    { state: 'pending' },
    { state: 'failed', final: true, detail: 'attempt-count changed' },
  ];
  const { file } = await requestFile('failed.json');
  const r = await publish(file, '--wait', '30s');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, / done /);
  assert.equal(r.stdout.match(/ requesting /g)?.length, 1, 'a redelivered answer shows once');
  assert.match(r.stdout, /failed {12}router main {2}attempt-count changed/);
  assert.match(r.stderr, /ignored an answer \(ok done\): answer to other bytes under our request id/);
  assert.match(r.stderr, /dmconfirm: failed: attempt-count changed/);
});

void test('a refusal before any operation exits 2', async () => {
  responder.script = () => [
    { state: 'idle', status: 'error', final: true, error: { code: 'too-few-approvers', message: '1 of 2 approvers' } },
  ];
  const { file } = await requestFile('refused.json');
  const r = await publish(file, '--wait', '30s');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /refused \(too-few-approvers: 1 of 2 approvers\)/);
});

void test('no final answer within --wait exits 3', async () => {
  responder.script = () => [{ state: 'requesting' }];
  const { file } = await requestFile('silent.json');
  const r = await publish(file, '--wait', '3s');
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /requesting/);
  assert.match(r.stderr, /no final answer within 3\.0s \(last state: requesting\)/);
});

void test('an unreachable broker exits 4', async () => {
  const port = await freePort();
  const { file } = await requestFile('unreachable.json');
  const r = await cli(dir, [
    'publish',
    file,
    '--broker',
    `mqtt://127.0.0.1:${port}`,
    '--site',
    'lab',
    '--wait',
    '--connect-timeout',
    '2s',
  ]);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stderr, /cannot reach the broker: no connection to mqtt:\/\/127\.0\.0\.1:\d+ within 2000 ms/);
});

void test('powercycle --key --broker --wait over MQTT 3.1.1 signs, publishes to powercycle and follows', async () => {
  responder.script = () => ACTED;
  const signed = ['--reason', 'hung', '--key', 'alice.key', '--out', 'pc.json'];
  const r = await cli(dir, ['powercycle', ...TARGET, ...signed, ...onBroker(), '--protocol', '4', '--wait', '30s']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /power cycle \S+ \(hung\) on agent pi1, router serial HF0001/);
  const got = responder.received.at(-1);
  assert.equal(got?.topic, 'dmconfirm/v1/lab/pi1/powercycle');
  assert.equal(got?.expiry, undefined, 'no message expiry on MQTT 3.1.1');
});

void test('usage errors exit 2 before connecting: no site, unsigned draft, wrong agent', async () => {
  const { file } = await requestFile('usage.json');
  assert.match((await cli(dir, ['publish', file, '--broker', broker.url])).stderr, /--site is required/);
  assert.equal((await publish(file, '--agent', 'pi2')).code, 2);
  const draft = await cli(dir, ['powercycle', ...TARGET, '--reason', 'hung', '--requester', 'noc', ...onBroker()]);
  assert.equal(draft.code, 2);
  assert.match(draft.stderr, /--broker needs a signed message/);
});

void test('request --key --broker --wait publishes to request; the agent refusing it exits 2', async () => {
  responder.script = () => [
    { state: 'idle', status: 'error', final: true, error: { code: 'too-few-approvers', message: '0 of 1 approvers' } },
  ];
  const change = ['--enable', 'container', '--method', 'power', '--key', 'alice'];
  const r = await cli(dir, ['request', ...TARGET, ...change, ...onBroker(), '--wait', '30s']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /change request \S+: .*container.* by power on agent pi1/);
  assert.equal(responder.received.at(-1)?.topic, 'dmconfirm/v1/lab/pi1/request');
});

void test('approve --challenge --key --broker --wait publishes to approval and follows to done', async () => {
  const ch = challenge('main').challenge;
  writeFileSync(join(dir, 'challenge.json'), JSON.stringify({ ...ch, agent: 'pi1', router: { serial: 'HF0001' } }));
  responder.script = () => ACTED;
  const approval = ['--challenge', 'challenge.json', '--enable', 'container', '--method', 'button', '--key', 'alice'];
  const r = await cli(dir, ['approve', ...approval, ...onBroker(), '--wait', '30s']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /approval \S+ of challenge ch-00000001/);
  assert.equal(responder.received.at(-1)?.topic, 'dmconfirm/v1/lab/pi1/approval');
});

void test('--dry-run prints the plan and publishes nothing', async () => {
  const before = responder.received.length;
  const signed = ['--reason', 'reset-attempt-count', '--key', 'alice'];
  const r = await cli(dir, ['powercycle', ...TARGET, ...signed, ...onBroker(), '--wait', '--dry-run']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /topic {4}dmconfirm\/v1\/lab\/pi1\/powercycle/);
  assert.match(r.stdout, /follow {3}dmconfirm\/v1\/lab\/pi1\/progress\/\S+ for up to 600s/);
  // Give a stray publish time to arrive before concluding there was none.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(responder.received.length, before);
});
