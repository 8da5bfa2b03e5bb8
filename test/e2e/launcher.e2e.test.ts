import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { waitFor } from '../helpers/mosquitto.js';
import { join } from 'node:path';
import { AgentProcess, E2E } from './harness.js';

void test('the daemon starts, serves, and on SIGTERM publishes offline and exits 0', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent(); // the in-process agent steps aside for the real daemon
  const daemon = new AgentProcess(e2e.site.configFile);
  t.after(() => daemon.kill('SIGKILL'));
  await daemon.start();
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.status && m.payload.includes('"online"') && m.payload.includes('"started"'),
    'online',
    30_000,
  );
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  await e2e.publish('request', jws);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(jws))).data.state, 'done');
  daemon.kill('SIGTERM');
  const exit = await daemon.exited();
  assert.equal(exit.code, 0, daemon.output);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.status && m.payload.includes('"offline"') && m.payload.includes('"stopped"'),
    'offline',
  );
});

void test('an invalid configuration is refused with every problem and exit code 78', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const bad = join(e2e.site.dir, 'bad.yaml');
  writeFileSync(bad, 'agent: { id: "x y", site: s, trustRoot: t.json }\nmqtt: { url: "nope" }\nrouters: []\n');
  const daemon = new AgentProcess(bad);
  await daemon.start();
  const exit = await daemon.exited();
  assert.equal(exit.code, 78);
  assert.match(daemon.output, /agent\.id/);
  assert.match(daemon.output, /mqtt\.url/);
  assert.match(daemon.output, /routers: must list at least one router/);
});

void test('broker unreachable: SIGTERM and SIGINT end the daemon within TimeoutStopSec, stop logged', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  await e2e.broker.stop();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const daemon = new AgentProcess(e2e.site.configFile);
    t.after(() => daemon.kill('SIGKILL'));
    await daemon.start();
    // Up and retrying the broker (it used to hang in start, waiting for the first checkpoint's PUBACK).
    await waitFor(
      () => (daemon.output.includes('mqtt offline') || daemon.output.includes('ECONNREFUSED') ? true : undefined),
      'retrying the broker',
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sent = performance.now();
    daemon.kill(signal);
    const killer = setTimeout(() => daemon.kill('SIGKILL'), 60_000);
    const exit = await daemon.exited();
    clearTimeout(killer);
    assert.equal(exit.code, 0, `${signal}: ${daemon.output.slice(-2000)}`);
    assert.ok(performance.now() - sent < 30_000, `${signal}: the unit's TimeoutStopSec is 30 s`);
    const lines = readFileSync(join(e2e.site.dir, 'state', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n');
    assert.equal((JSON.parse(lines.at(-1)!) as { type: string }).type, 'agent-stop', signal);
  }
});

const execFileAsync = promisify(execFile);

void test('pair --accept refuses while the agent runs (both write the audit log), works once it stopped', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const before = e2e.observer.seen.length;
  const daemon = new AgentProcess(e2e.site.configFile);
  t.after(() => daemon.kill('SIGKILL'));
  await daemon.start();
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.status && e2e.observer.seen.indexOf(m) >= before && m.payload.includes('"online"'),
    'daemon online',
    30_000,
  );
  // Not spawnSync: the simulated router lives in this process and must keep answering.
  const pair = () =>
    execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'pair', '--accept', '--config', e2e.site.configFile],
      { encoding: 'utf8', timeout: 60_000 },
    ).then(
      ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        status: error.code ?? -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
  const auditBefore = readFileSync(join(e2e.site.dir, 'state', 'audit.jsonl'), 'utf8');
  const refused = await pair();
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(
    refused.stdout + refused.stderr,
    /the agent is running \(pid \d+\)/,
    JSON.stringify(readdirSync(join(e2e.site.dir, 'state'))),
  );
  assert.equal(readFileSync(join(e2e.site.dir, 'state', 'audit.jsonl'), 'utf8'), auditBefore, 'nothing written');
  daemon.kill('SIGTERM');
  assert.equal((await daemon.exited()).code, 0);
  const after = await pair();
  assert.equal(after.status, 0, after.stdout + after.stderr);
});
