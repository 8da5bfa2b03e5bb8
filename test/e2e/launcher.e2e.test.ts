import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.status && m.payload.includes('"online"') && m.payload.includes('"started"'), 'online', 30_000);
  const jws = await e2e.site.team.changeRequest({ agent: 'pi-demo', router: e2e.router, change: { enable: ['container'] }, method: 'power', activationTimeoutSeconds: 120 });
  await e2e.publish('request', jws);
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(jws))).data.state, 'done');
  daemon.kill('SIGTERM');
  const exit = await daemon.exited();
  assert.equal(exit.code, 0, daemon.output);
  await e2e.observer.waitFor((m) => m.topic === e2e.topics.status && m.payload.includes('"offline"') && m.payload.includes('"stopped"'), 'offline');
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
