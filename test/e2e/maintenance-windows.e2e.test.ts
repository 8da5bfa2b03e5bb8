// Issue 12 §1, maintenance windows, end to end: real mosquitto, the RouterOS simulator, the
// agent in process with an injected wall clock (shifted, never waited for) and fast schedule
// checks. An order sent before its window is scheduled, survives a restart and acts when the
// window opens; an unsynchronized clock at the opening raises an alarm and the order expires;
// a signed cancel removes it; site windows let only urgent orders with more approvers act.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentResponse, ScheduledMessage } from '../../src/mqtt/contract.js';
import { brokerSettings } from '../../src/operator/broker.js';
import { showStatus } from '../../src/operator/status.js';
import type { WallClock } from '../../src/time/wall-clock.js';
import { buildCancel, buildChange, buildChangeRequest } from '../../src/trust/drafts.js';
import { TYP } from '../../src/trust/messages.js';
import type { SigningKey } from '../../src/trust/keys.js';
import { E2E } from './harness.js';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The agent's wall clock: real time plus an offset the test moves; synchronized or not. */
class ShiftedClock implements WallClock {
  offset = 0;
  synced = true;
  now = (): number => Date.now() + this.offset;
  isSynchronized = (): Promise<boolean> => Promise.resolve(this.synced);
}

async function site(
  t: { after: (fn: () => Promise<void>) => void },
  policy?: Record<string, unknown>,
): Promise<{ e2e: E2E; clock: ShiftedClock }> {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  const clock = new ShiftedClock();
  e2e.agentOptions = { clock, schedule: { checkMs: 100, retryMs: 300 } };
  await e2e.start(policy ? { policy } : {});
  return { e2e, clock };
}

interface OrderOptions {
  window?: { notBefore?: number; notAfter?: number };
  urgent?: boolean;
  approvers?: SigningKey[];
  requestId?: string;
  enable?: string;
}

async function order(e2e: E2E, o: OrderOptions = {}): Promise<{ jws: string; requestId: string }> {
  const team = e2e.site.team;
  const payload = buildChangeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    requester: { name: team.requester.name, keyId: team.requester.keyId },
    now: Date.now(),
    ...(o.window?.notBefore ? { notBefore: iso(o.window.notBefore) } : {}),
    ...(o.window?.notAfter ? { notAfter: iso(o.window.notAfter) } : {}),
    ...(o.urgent ? { urgent: true } : {}),
    ...(o.requestId ? { requestId: o.requestId } : {}),
    change: buildChange({ enable: [o.enable ?? 'container'] }),
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  const jws = await team.sign(payload, TYP.request, [team.requester, ...(o.approvers ?? team.approvers.slice(0, 2))]);
  return { jws, requestId: payload.requestId };
}

async function cancel(e2e: E2E, cancels: string, approvers?: SigningKey[]): Promise<string> {
  const team = e2e.site.team;
  const payload = buildCancel({
    agent: 'pi-demo',
    router: e2e.router,
    requester: { name: team.requester.name, keyId: team.requester.keyId },
    now: Date.now(),
    cancels,
  });
  const jws = await team.sign(payload, TYP.cancel, [team.requester, ...(approvers ?? team.approvers.slice(0, 2))]);
  await e2e.observer.client.publishAsync(e2e.topics.cancel, jws, { qos: 1 });
  return payload.requestId;
}

async function scheduledAnswer(e2e: E2E, requestId: string): Promise<AgentResponse> {
  const seen = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes('"scheduled"'),
    `scheduled answer to ${requestId}`,
  );
  return JSON.parse(seen.payload) as AgentResponse;
}

/** A site with an order scheduled to open in five minutes (for an hour), answered `scheduled`. */
async function scheduledIn5Minutes(t: { after: (fn: () => Promise<void>) => void }) {
  const { e2e, clock } = await site(t);
  const opens = Date.now() + 5 * MINUTE;
  const { jws, requestId } = await order(e2e, { window: { notBefore: opens, notAfter: opens + 60 * MINUTE } });
  const digest = await e2e.publish('request', jws);
  await scheduledAnswer(e2e, requestId);
  return { e2e, clock, opens, requestId, digest };
}

/** The final answer to exactly these bytes (the same request id may carry refusals of other bytes). */
async function finalTo(e2e: E2E, requestId: string, digest: string): Promise<AgentResponse> {
  const seen = await e2e.observer.waitFor(
    (m) => {
      if (m.topic !== e2e.topics.progress(requestId)) return false;
      const answer = JSON.parse(m.payload) as AgentResponse;
      return answer.data.final && answer.data.inReplyTo === digest;
    },
    `final answer to ${requestId}`,
    60_000,
  );
  return JSON.parse(seen.payload) as AgentResponse;
}

/** The latest retained list of scheduled orders. */
function scheduledList(e2e: E2E): ScheduledMessage['orders'] | undefined {
  const last = e2e.observer.seen.filter((m) => m.topic === e2e.topics.scheduled).at(-1);
  return last ? (JSON.parse(last.payload) as ScheduledMessage).orders : undefined;
}

void test('an order sent before its window is scheduled, survives a restart, acts when the window opens', async (t) => {
  const { e2e, clock } = await site(t);
  const opens = Date.now() + 10 * MINUTE;
  const { jws, requestId } = await order(e2e, { window: { notBefore: opens, notAfter: opens + 2 * 60 * MINUTE } });
  const digest = await e2e.publish('request', jws);
  const answer = await scheduledAnswer(e2e, requestId);
  assert.equal(answer.status, 'ok');
  assert.equal(answer.data.final, false);
  assert.equal(answer.data.inReplyTo, digest);
  assert.match(answer.data.detail ?? '', new RegExp(iso(opens).slice(0, 16)));
  await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.scheduled && m.retain === false && m.payload.includes(requestId),
    'retained scheduled list',
  );
  assert.deepEqual(
    scheduledList(e2e)?.map((o) => [o.requestId, o.opensAt]),
    [[requestId, iso(opens)]],
  );
  // `dmconfirm status` shows it with its window, from the retained topic.
  let shown = '';
  const status = await showStatus(brokerSettings({ broker: e2e.broker.url }, 'test'), {
    ...{
      base: 'dmconfirm/v1',
      json: false,
      watch: false,
      connectTimeoutMs: 10_000,
      quietMs: 500,
      maxSettleMs: 10_000,
    },
    ...{ out: { write: (text: string) => void (shown += text) }, err: { write: () => undefined } },
  });
  assert.equal(status.code, 0, shown);
  assert.match(shown, new RegExp(`lab/pi-demo {2}hap1 {2}request ${requestId} {2}window ${iso(opens)} \\.\\. `));

  // The same request id under other bytes is never scheduled twice.
  const again = await order(e2e, {
    window: { notBefore: opens, notAfter: opens + 60 * MINUTE },
    requestId,
    enable: 'fetch',
  });
  const againDigest = await e2e.publish('request', again.jws);
  const refused = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes(againDigest),
    'refusal of the second order',
  );
  assert.equal((JSON.parse(refused.payload) as AgentResponse).error?.code, 'replayed');

  await e2e.stopAgent();
  await e2e.startAgent();
  // The same bytes again after the restart (a redelivery): answered `scheduled` again, not refused.
  const seenBefore = e2e.observer.seen.length;
  await e2e.publish('request', jws);
  const again2 = await e2e.observer.waitFor(
    (m) =>
      e2e.observer.seen.indexOf(m) >= seenBefore &&
      m.topic === e2e.topics.progress(requestId) &&
      m.payload.includes(digest),
    'answer to the redelivery',
  );
  assert.equal((JSON.parse(again2.payload) as AgentResponse).data.state, 'scheduled', again2.payload);
  await sleep(500); // several schedule checks: nothing acts before the window
  assert.equal(e2e.powerCuts, 0);
  clock.offset = 10 * MINUTE + 1000;
  const final = await finalTo(e2e, requestId, digest);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.equal(final.data.inReplyTo, digest);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
  assert.equal(e2e.site.router.state().deviceMode.features.fetch, false);
  assert.equal(e2e.powerCuts, 1);
  await e2e.observer.waitFor(() => scheduledList(e2e)?.length === 0, 'empty scheduled list');
});

void test('a clock not synchronized when the window opens: nothing happens, an alarm, the order expires', async (t) => {
  const { e2e, clock } = await site(t);
  const opens = Date.now() + 5 * MINUTE;
  const { jws, requestId } = await order(e2e, { window: { notBefore: opens, notAfter: opens + 60 * MINUTE } });
  await e2e.publish('request', jws);
  await scheduledAnswer(e2e, requestId);
  clock.synced = false;
  clock.offset = 5 * MINUTE + 1000;
  const final = await e2e.finalAnswer(requestId);
  assert.equal(final.data.state, 'expired', JSON.stringify(final));
  assert.equal(final.error?.code, 'schedule-clock-unsynced');
  const alarm = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('"schedule-clock-unsynced"'),
    'alarm',
  );
  assert.match(alarm.payload, /not synchronized/);
  // Synchronized again within the window: the order stays expired, nothing acts.
  clock.synced = true;
  await sleep(500);
  assert.equal(e2e.powerCuts, 0);
  assert.equal(e2e.site.router.state().deviceMode.features.container, false);
});

void test('a signed cancel removes a scheduled order before it starts; too few approvers cannot', async (t) => {
  const { e2e, clock, opens, requestId, digest } = await scheduledIn5Minutes(t);

  const weak = await cancel(e2e, requestId, e2e.site.team.approvers.slice(0, 1));
  const weakAnswer = await e2e.finalAnswer(weak);
  assert.equal(weakAnswer.error?.code, 'too-few-approvers');
  const unknown = await cancel(e2e, 'no-such-order-id');
  assert.equal((await e2e.finalAnswer(unknown)).error?.code, 'not-scheduled');

  const cancelId = await cancel(e2e, requestId);
  const done = await e2e.finalAnswer(cancelId);
  assert.equal(done.data.state, 'done', JSON.stringify(done));
  const final = await finalTo(e2e, requestId, digest);
  assert.equal(final.data.state, 'cancelled');
  assert.equal(final.error?.code, 'schedule-cancelled');
  await e2e.observer.waitFor(() => scheduledList(e2e)?.length === 0, 'empty scheduled list');

  // Re-signed under the same id after the cancel: refused, never scheduled again.
  const again = await order(e2e, { window: { notBefore: opens, notAfter: opens + 60 * MINUTE }, requestId });
  const againDigest = await e2e.publish('request', again.jws);
  const refused = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && m.payload.includes(againDigest),
    'refusal',
  );
  assert.equal((JSON.parse(refused.payload) as AgentResponse).error?.code, 'replayed');
  clock.offset = 5 * MINUTE + 1000;
  await sleep(600);
  assert.equal(e2e.powerCuts, 0);
});

/** A weekly one-hour site window (UTC) three days from now: never open during the test. */
function farWindow(): { policy: Record<string, unknown>; opens: number } {
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
  const start = new Date();
  start.setUTCDate(start.getUTCDate() + 3);
  start.setUTCHours(2, 0, 0, 0);
  const siteWindows = {
    timeZone: 'UTC',
    windows: [{ days: [days[start.getUTCDay()]], from: '02:00', to: '03:00' }],
    urgentApprovals: 3,
  };
  return { policy: { siteWindows }, opens: start.getTime() };
}

void test('outside the site windows only an urgent order with the urgent approver count acts', async (t) => {
  const { policy, opens } = farWindow();
  const { e2e } = await site(t, policy);
  const team = e2e.site.team;

  const plain = await order(e2e);
  await e2e.publish('request', plain.jws);
  const outside = await e2e.finalAnswer(plain.requestId);
  assert.equal(outside.error?.code, 'outside-site-window', JSON.stringify(outside));
  assert.match(outside.error?.message ?? '', new RegExp(iso(opens).slice(0, 16)));

  const weak = await order(e2e, { urgent: true });
  await e2e.publish('request', weak.jws);
  assert.equal((await e2e.finalAnswer(weak.requestId)).error?.code, 'urgent-too-few-approvers');

  // A window that reaches into the site's next window is scheduled for its opening.
  const later = await order(e2e, { window: { notAfter: opens + 30 * MINUTE } });
  await e2e.publish('request', later.jws);
  const scheduled = await scheduledAnswer(e2e, later.requestId);
  assert.match(scheduled.data.detail ?? '', new RegExp(iso(opens).slice(0, 16)));

  const urgent = await order(e2e, { urgent: true, approvers: team.approvers });
  await e2e.publish('request', urgent.jws);
  const final = await e2e.finalAnswer(urgent.requestId);
  assert.equal(final.data.state, 'done', JSON.stringify(final));
  assert.equal(e2e.powerCuts, 1);
});

void test('a router changed while the order waited (someone requested a change): no action, an alarm', async (t) => {
  const { e2e, clock, requestId, digest } = await scheduledIn5Minutes(t);
  // Someone else asks the router for a change: attempt-count rises (the agent opens a challenge for it).
  e2e.otherClientUpdate({ enable: ['fetch'] });
  await e2e.challenge();
  clock.offset = 5 * MINUTE + 1000;
  const final = await finalTo(e2e, requestId, digest);
  assert.equal(final.data.state, 'failed', JSON.stringify(final));
  assert.equal(final.error?.code, 'schedule-router-changed');
  assert.match(final.error?.message ?? '', /attempt-count is 1, it was 0/);
  const alarm = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.events && m.payload.includes('"schedule-router-changed"'),
    'alarm',
  );
  assert.match(alarm.payload, /"security"/);
  assert.equal(e2e.powerCuts, 0);
});
