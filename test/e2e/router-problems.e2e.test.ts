/** Router problems are visible remotely: the cause in the retained state, one alarm per cause, logins backed off. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../../src/agent/agent.js';
import type { Config } from '../../src/config/schema.js';
import { Secret } from '../../src/config/secret.js';
import { freePort } from '../helpers/mosquitto.js';
import { createLogger } from '../../src/log/logger.js';
import { E2E, testLogger } from './harness.js';

async function agentWith(
  e2e: E2E,
  change: (router: Config['routers'][number]) => Config['routers'][number],
  logger = testLogger(),
  outageAlarmMs?: number,
): Promise<Agent> {
  await e2e.stopAgent();
  const config = { ...e2e.site.config, routers: e2e.site.config.routers.map(change) };
  const agent = await Agent.create(config, {
    logger,
    checkpointIntervalMs: 60_000,
    ...(outageAlarmMs ? { routerOutageAlarmMs: outageAlarmMs } : {}),
  });
  e2e.agent = agent;
  await agent.start();
  return agent;
}

function problemState(
  e2e: E2E,
  cause: string,
): Promise<{ reachable: boolean; problem: { cause: string; message: string } | null }> {
  return e2e.observer
    .waitFor(
      (m) => m.topic === e2e.topics.routerState('hap1') && m.payload.includes(`"cause":"${cause}"`),
      `router state with ${cause}`,
    )
    .then((m) => JSON.parse(m.payload) as { reachable: boolean; problem: { cause: string; message: string } | null });
}

void test('a wrong router password: authentication-refused, one alarm, logins backed off from 500 ms', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  let logins = 0;
  const router = e2e.site.router;
  const check = router.checkLogin.bind(router);
  router.checkLogin = (name: string, password: string) => {
    logins += 1;
    return check(name, password);
  };
  await agentWith(e2e, (r) => ({ ...r, password: new Secret('not-the-password', 'test') }));
  const startedAt = logins;
  const state = await problemState(e2e, 'authentication-refused');
  assert.equal(state.reachable, false);
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('router-connection-problem'),
    'alarm',
  );
  await sleep(10_000);
  // 500 ms doubling (with equal jitter) allows at most 6 tries in 10 s; the old 250 ms..3 s made 10.
  assert.ok(logins - startedAt <= 7, `${logins - startedAt} logins in about 10 s`);
  assert.ok(logins - startedAt >= 2, 'it keeps trying');
  const alarms = e2e.events('router-connection-problem');
  assert.equal(alarms.length, 1, JSON.stringify(alarms));
  assert.match(alarms[0]!.message, /user name and password/);
});

void test('nothing listening on the API port: connection-refused at once, alarm if it lasts, cleared', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  const port = await freePort();
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  await agentWith(e2e, (r) => ({ ...r, port }), logger, 3000);
  await problemState(e2e, 'connection-refused');
  assert.equal(e2e.events('router-connection-problem').length, 0, 'a router away for a moment (rebooting) is no alarm');
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('router-connection-problem'),
    'alarm',
  );
  assert.equal(e2e.events('router-connection-problem').length, 1);
  // Log lines keep the router's configured name; the address has its own field.
  const failed = lines.filter((l) => l.msg === 'cannot connect to router');
  assert.ok(failed.length > 0);
  for (const line of failed) assert.equal(line.router, 'hap1', JSON.stringify(line));
  assert.equal(failed[0]!.host, e2e.site.config.routers[0]!.host);
  await e2e.stopAgent();
  const before = e2e.observer.seen.length;
  await e2e.startAgent();
  const back = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.routerState('hap1') &&
      e2e.observer.seen.indexOf(m) >= before &&
      m.payload.includes('"reachable":true'),
    'reachable',
  );
  assert.equal((JSON.parse(back.payload) as { problem: unknown }).problem, null);
});

void test('an order just after a router outage reconnects at once instead of failing router-unreachable', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  e2e.site.router.refuseApiLogins(true);
  e2e.site.router.dropApiSessions();
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.routerState('hap1') && m.payload.includes('"reachable":false'),
    'unreachable',
  );
  await sleep(8000); // the read session's backoff has grown to seconds
  e2e.site.router.refuseApiLogins(false);
  const requestId = await e2e.publishContainerChange();
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
});
