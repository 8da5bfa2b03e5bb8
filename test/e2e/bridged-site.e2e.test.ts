// The topology sites use: the agent on its site broker, bridged (config/mosquitto-site-bridge.conf)
// to the central broker where the operators are, through an uplink that is cut mid-operation.
// Orders published centrally during an outage wait for the site, stale ones expire on the way,
// answers produced at the site during an outage flow back in order, an order redelivered
// through the bridge is not acted on twice, and a live order never arrives retained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import { BridgedBrokers } from '../helpers/bridged-brokers.js';
import { waitFor } from '../helpers/mosquitto.js';
import { Observer } from '../helpers/mqtt-clients.js';
import { E2E } from './harness.js';

const LINK = '$SYS/broker/connection/dmconfirm-bridge-lab/state';
const LIVE = { qos: 1, properties: { messageExpiryInterval: 600 } } as const;

void test('a site broker bridged to the central broker carries orders and answers across uplink cuts', async (t) => {
  const brokers = new BridgedBrokers(['lab']);
  const site = brokers.site('lab');
  const e2e = new E2E();
  t.after(async () => {
    await e2e.stop();
    await brokers.dispose();
  });
  await brokers.start();
  e2e.broker = site.broker;
  e2e.observerBrokerUrl = brokers.central.url;
  await e2e.start(); // returns once the agent's retained router state reached the central broker
  const central = e2e.observer;
  await central.client.subscribeAsync(LINK, { qos: 1 });
  const local = await Observer.connect(site.url);
  t.after(() => local.close());
  await local.client.subscribeAsync(`${e2e.topics.root}/#`, { qos: 1, rap: true });
  const team = e2e.site.team;
  const linkIs = (state: '0' | '1') =>
    waitFor(
      () => (central.seen.filter((m) => m.topic === LINK).at(-1)?.payload === state ? true : undefined),
      `uplink state ${state}`,
      30_000,
    );
  const finalAt = (observer: Observer, requestId: string) =>
    observer.waitFor(
      (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"final":true'),
      `final answer to ${requestId}`,
      60_000,
    );
  await linkIs('1');
  assert.ok(
    central.seen.some((m) => m.topic === e2e.topics.status && m.payload.includes('"online"')),
    'the retained status crossed the bridge',
  );

  // 1. Orders published centrally during an outage wait for the site; a stale one expires on the way.
  site.uplink.cut();
  await linkIs('0');
  const request = await team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['fetch'] },
    method: 'button',
    activationTimeoutSeconds: 120,
  });
  await central.client.publishAsync(e2e.topics.request, request, LIVE);
  const stale = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  await central.client.publishAsync(e2e.topics.powercycle, stale, { qos: 1, properties: { messageExpiryInterval: 2 } });
  await sleep(3500);
  site.uplink.restore();
  await linkIs('1');
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(request))).data.state, 'done');
  assert.equal(e2e.presses, 1);
  await sleep(1000);
  assert.deepEqual(
    e2e.answers(e2e.requestIdOf(stale)),
    [],
    'an order that expired during the outage never reached the agent',
  );
  assert.equal(e2e.powerCuts, 0);

  // 2. The approval is sent while the uplink is down: it waits at the central broker.
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = (await e2e.challenge(central.seen.length)).challenge; // the challenge crossed up
  site.uplink.cut();
  await linkIs('0');
  const approval = await team.approval(open, { expect: { enable: ['container'] }, method: 'power' });
  await central.client.publishAsync(e2e.topics.approval, approval, LIVE);
  await sleep(1000);
  site.uplink.restore();
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(approval))).data.state, 'done');
  assert.equal(e2e.powerCuts, 1);

  // 3. The uplink goes while the router reboots: the site's answers wait and arrive in order.
  const cycle = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  const cycleId = e2e.requestIdOf(cycle);
  await central.client.publishAsync(e2e.topics.powercycle, cycle, LIVE);
  await central.waitFor(
    (m) => m.topic === e2e.topics.progress(cycleId) && m.payload.includes('"actuating"'),
    'actuating',
    30_000,
  );
  site.uplink.cut();
  await finalAt(local, cycleId);
  assert.ok(
    !central.seen.some((m) => m.topic === e2e.topics.progress(cycleId) && m.payload.includes('"final":true')),
    'the final answer waits at the site',
  );
  site.uplink.restore();
  assert.equal((await e2e.finalAnswer(cycleId)).data.state, 'done');
  const statesOf = (o: Observer) => [
    ...new Set(
      o.seen
        .filter((m) => m.topic === e2e.topics.progress(cycleId))
        .map((m) => (JSON.parse(m.payload) as AgentResponse).data.state),
    ),
  ];
  assert.deepEqual(statesOf(central), statesOf(local));
  assert.equal(e2e.powerCuts, 2);

  // 4. The order arrives but its acknowledgement is lost: the central broker sends it again through
  //    the bridge, and the agent answers the copy without acting twice.
  const twice = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  const twiceId = e2e.requestIdOf(twice);
  const fromBridge = new RegExp(
    `Received PUBLISH from dmconfirm-bridge-lab-local \\(d\\d, q1, r0, m\\d+, '${e2e.topics.powercycle}'`,
    'g',
  );
  const forwarded = () => site.broker.log.match(fromBridge)?.length ?? 0;
  const before = forwarded();
  site.uplink.cut('up');
  await central.client.publishAsync(e2e.topics.powercycle, twice, LIVE);
  await finalAt(local, twiceId);
  await linkIs('0');
  site.uplink.restore();
  assert.equal((await e2e.finalAnswer(twiceId)).data.state, 'done');
  await waitFor(() => (forwarded() >= before + 2 ? true : undefined), 'the redelivered order at the site', 30_000);
  await sleep(1500);
  assert.equal(e2e.powerCuts, 3, 'the redelivered order was not acted on again');

  // 5. A retained order keeps its flag across the bridge and is refused; live orders never became retained.
  const retained = await team.powerCycle({ agent: 'pi-demo', router: e2e.router, reason: 'hung' });
  await central.client.publishAsync(e2e.topics.powercycle, retained, { qos: 1, retain: true });
  assert.equal((await e2e.finalAnswer(e2e.requestIdOf(retained))).error?.code, 'retained-order');
  await central.client.publishAsync(e2e.topics.powercycle, '', { qos: 1, retain: true });
  const orders = [e2e.topics.request, e2e.topics.approval, e2e.topics.powercycle];
  const retainedOrders = local.seen.filter((m) => orders.includes(m.topic) && m.retain && m.payload !== '');
  assert.deepEqual(
    retainedOrders.map((m) => m.payload),
    [retained],
    'only the order published retained arrived retained',
  );
  await waitFor(
    () => (local.seen.some((m) => m.topic === e2e.topics.powercycle && m.payload === '') ? true : undefined),
    'the cleared retained order',
  );
  const late = await Observer.connect(site.url, orders);
  await sleep(500);
  await late.close();
  assert.deepEqual(
    late.seen.filter((m) => m.payload !== ''),
    [],
    'the site broker holds no order retained',
  );
  assert.equal(e2e.powerCuts, 3);
});
