// `dmconfirm forget --agent A` against mosquitto running the shipped ACL verbatim: the
// fleet-admin user clears a decommissioned agent's retained topics; an everyday operator
// cannot (and is told why); an online agent is not forgotten without --force.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { agentTopics, encodePayload, routerStateSchema, statusSchema } from '../../src/mqtt/contract.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { runCli } from '../cli/fixtures/run-cli.js';
import { routerState, status } from './fixtures.js';

const ACL = fileURLToPath(new URL('../../config/mosquitto-acl.conf', import.meta.url));
const PASSWORD = 'correct-horse';
const old = agentTopics('dmconfirm/v1', 'berlin', 'pi-old');
const live = agentTopics('dmconfirm/v1', 'berlin', 'pi-live');
let broker: Mosquitto;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dmconfirm-forget-'));
  writeFileSync(join(dir, 'pass'), `${PASSWORD}\n`);
  broker = new Mosquitto({ extraConfig: ['allow_anonymous false', `acl_file ${ACL}`] });
  const passwd = broker.writeFile('passwd', '');
  for (const user of ['pi-old', 'pi-live', 'operator-alice', 'fleet-admin'])
    execFileSync('mosquitto_passwd', ['-b', passwd, user, PASSWORD]);
  broker.extraConfig.push(`password_file ${passwd}`);
  await broker.start();
  for (const [user, topics, state] of [
    ['pi-old', old, 'offline'],
    ['pi-live', live, 'online'],
  ] as const) {
    const agent = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: user, password: PASSWORD });
    const at = new Date(Date.now() - 3_600_000).toISOString();
    await agent.publishAsync(
      topics.status,
      encodePayload(statusSchema.parse(status('berlin', user, state, at, state === 'offline' ? 'stopped' : 'started'))),
      { qos: 1, retain: true },
    );
    await agent.publishAsync(
      topics.routerState('core1'),
      encodePayload(routerStateSchema.parse(routerState('core1'))),
      { qos: 1, retain: true },
    );
    await agent.publishAsync(topics.checkpoint, '{"jws":"x.y.z"}', { qos: 1, retain: true });
    await agent.endAsync();
  }
});

after(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const forget = (user: string, ...extra: string[]) =>
  runCli(
    [
      'forget',
      '--agent',
      'pi-old',
      '--broker',
      broker.url,
      '--username',
      user,
      '--password-file',
      join(dir, 'pass'),
      ...extra,
    ],
    { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } },
  );
const statusOf = () =>
  runCli(
    ['status', '--broker', broker.url, '--username', 'operator-alice', '--password-file', join(dir, 'pass'), '--wide'],
    { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } },
  );

void test('an everyday operator may not clear them: the broker keeps them and the reason is named', async () => {
  const r = await forget('operator-alice');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /the broker kept 3 retained topic\(s\).*fleet-admin/);
  assert.match((await statusOf()).stdout, /berlin +pi-old/);
});

void test('fleet-admin forgets a stopped agent: every retained topic cleared, status no longer lists it', async () => {
  const r = await forget('fleet-admin');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `cleared ${old.checkpoint}`,
    `cleared ${old.routerState('core1')}`,
    `cleared ${old.status}`,
    'forgot agent pi-old: 3 retained topic(s) cleared',
  ]);
  const after = await statusOf();
  assert.doesNotMatch(after.stdout, /pi-old/);
  assert.match(after.stdout, /berlin +pi-live/);
  assert.equal((await forget('fleet-admin')).code, 3, 'nothing left to forget');
});

void test('an online agent is not forgotten without --force', async () => {
  const r = await runCli(
    [
      'forget',
      '--agent',
      'pi-live',
      '--broker',
      broker.url,
      '--username',
      'fleet-admin',
      '--password-file',
      join(dir, 'pass'),
    ],
    { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } },
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /agent pi-live is online .*Stop it first, or --force/);
});
