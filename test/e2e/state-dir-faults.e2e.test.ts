// The agent's state directory fails for real (a full tmpfs, a read-only mount) under the
// real daemon: orders it cannot record are refused with no actuation and a critical alarm,
// the daemon keeps running and recovers by itself; an operation that has already cut the
// power still restores it, verifies and reports.
import { test } from 'node:test';
import { Observer } from '../helpers/mqtt-clients.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyAuditFile } from '../../src/audit/verify.js';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';
import { NO_MOUNT_NAMESPACE, NamespacedDaemon } from './fixtures/state-dir.js';
import { journalFile } from './state-files.js';

interface SeenEvent {
  type: string;
  severity: string;
  code: string;
  message: string;
  requestId?: string;
  operationId?: string;
  data?: { path?: string; errno?: string };
}

function eventsSince(e2e: E2E, from: number, code: string): SeenEvent[] {
  return e2e.observer.seen
    .slice(from)
    .filter((m) => m.topic === e2e.topics.events)
    .map((m) => JSON.parse(m.payload) as SeenEvent)
    .filter((e) => e.code === code);
}

/** A site whose daemon runs on its own tmpfs state directory. */
async function site(
  t: { after: (fn: () => Promise<void> | void) => void },
  options: { offMs?: number } = {},
): Promise<{ e2e: E2E; daemon: NamespacedDaemon; stateDir: string }> {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start(options); // the in-process agent pairs and writes the initial state
  await e2e.stopAgent();
  const stateDir = join(e2e.site.dir, 'state');
  const daemon = new NamespacedDaemon(e2e.site.configFile, stateDir);
  t.after(async () => {
    daemon.kill('SIGTERM');
    await Promise.race([daemon.exited(), sleep(20_000, undefined, { ref: false })]);
    daemon.kill('SIGKILL');
  });
  const seen = e2e.observer.seen.length;
  daemon.start();
  await e2e.observer.waitFor(
    (m) => e2e.observer.seen.indexOf(m) >= seen && m.topic === e2e.topics.status && m.payload.includes('"online"'),
    `daemon online\n${daemon.output}`,
    30_000,
  );
  return { e2e, daemon, stateDir };
}

async function signedPowerChange(e2e: E2E, feature: string): Promise<{ jws: string; requestId: string }> {
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: [feature] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  return { jws, requestId: e2e.requestIdOf(jws) };
}

async function powerChange(e2e: E2E, feature: string): Promise<string> {
  const { jws, requestId } = await signedPowerChange(e2e, feature);
  await e2e.publish('request', jws);
  return requestId;
}

/** The answer in `state` to `requestId` (later answers than an earlier final one). */
async function answerIn(e2e: E2E, requestId: string, state: string, timeoutMs = 60_000): Promise<AgentResponse> {
  const seen = await e2e.observer.waitFor(
    (m) => m.topic === e2e.topics.progress(requestId) && (JSON.parse(m.payload) as AgentResponse).data.state === state,
    `${state} answer to ${requestId}: ${JSON.stringify(e2e.answers(requestId))}`,
    timeoutMs,
  );
  return JSON.parse(seen.payload) as AgentResponse;
}

/** The audit log in the daemon's tmpfs: an intact chain, no line torn by a failed append. */
async function assertAuditIntact(daemon: NamespacedDaemon, stateDir: string): Promise<string> {
  const file = daemon.inside(join(stateDir, 'audit.jsonl'));
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'no torn last line');
  const report = await verifyAuditFile(file);
  assert.ok(report.ok, JSON.stringify(report.problems));
  return text;
}

async function refusedThenRecovered(
  t: { after: (fn: () => Promise<void> | void) => void },
  fault: 'full' | 'read-only',
): Promise<void> {
  const { e2e, daemon, stateDir } = await site(t);
  if (fault === 'full') daemon.fill();
  else daemon.readOnly();
  const from = e2e.observer.seen.length;
  const { jws, requestId: refusedId } = await signedPowerChange(e2e, 'container');
  await e2e.publish('request', jws);
  const refused = await e2e.finalAnswer(refusedId, 30_000);
  assert.equal(refused.data.state, 'failed', JSON.stringify(refused));
  assert.equal(refused.status, 'error');
  assert.equal(refused.error?.code, 'state-unwritable', JSON.stringify(refused));
  assert.match(refused.error?.message ?? '', /nothing was actuated/);
  const alarm = await waitFor(
    () => eventsSince(e2e, from, 'state-unwritable').find((e) => e.requestId === refusedId),
    'state-unwritable alarm',
  );
  assert.equal(alarm.type, 'alarm');
  assert.equal(alarm.severity, 'critical');
  assert.equal(alarm.data?.errno, fault === 'full' ? 'ENOSPC' : 'EROFS', JSON.stringify(alarm));
  assert.ok(alarm.data?.path?.startsWith(stateDir), `names a path in the state directory: ${JSON.stringify(alarm)}`);
  assert.ok(
    alarm.message.includes(alarm.data.path ?? '?') && alarm.message.includes(alarm.data.errno ?? '?'),
    alarm.message,
  );
  await sleep(1500); // an actuation or a late answer would show by now
  assert.equal(e2e.answers(refusedId).length, 1, `one answer: ${JSON.stringify(e2e.answers(refusedId))}`);
  assert.equal(e2e.powerCuts + e2e.presses, 0, 'nothing actuated');
  assert.equal(e2e.site.router.state().power, 'on');
  assert.ok(daemon.running, `the daemon keeps running\n${daemon.output}`);

  // The directory takes writes again: the daemon notices by itself, and the same signed
  // request sent again is verified again (nothing of it was recorded) and carried out.
  const beforeFix = e2e.observer.seen.length;
  if (fault === 'full') daemon.unfill();
  else daemon.writable();
  await waitFor(() => eventsSince(e2e, beforeFix, 'state-writable')[0], 'state-writable event', 20_000);
  assert.equal(e2e.site.router.state().deviceMode.features.container, false, 'the refused request was not applied');
  await e2e.publish('request', jws);
  await answerIn(e2e, refusedId, 'done');
  assert.deepEqual(
    e2e.answers(refusedId).map((a) => a.data.state),
    ['failed', 'requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done'],
  );
  assert.equal(e2e.powerCuts, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
  const audit = await assertAuditIntact(daemon, stateDir);
  assert.match(audit, /"type":"state-unwritable-episode"/);
  assert.ok(daemon.running);
}

const skip = NO_MOUNT_NAMESPACE;

void test(
  'state directory full before a request: refused state-unwritable, alarm; freed, the resend works',
  { skip },
  async (t) => {
    await refusedThenRecovered(t, 'full');
  },
);

void test(
  'state directory read-only before a request: refused state-unwritable, alarm; writable, resend works',
  { skip },
  async (t) => {
    await refusedThenRecovered(t, 'read-only');
  },
);

void test(
  'state directory full while the power is cut: power restored, router verified, outcome reported, alarm raised',
  { skip },
  async (t) => {
    const { e2e, daemon, stateDir } = await site(t, { offMs: 4000 });
    const from = e2e.observer.seen.length;
    const requestId = await powerChange(e2e, 'container');
    await waitFor(() => (e2e.site.router.state().power === 'off' ? true : undefined), 'power cut', 30_000);
    daemon.fill();
    const final = await e2e.finalAnswer(requestId, 60_000);
    assert.equal(final.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
    assert.deepEqual(
      e2e.answers(requestId).map((a: AgentResponse) => a.data.state),
      ['requesting', 'pending', 'actuating', 'rebooting', 'verifying', 'done'],
    );
    const state = e2e.site.router.state();
    assert.equal(state.power, 'on', 'power restored');
    assert.equal(state.deviceMode.features.container, true);
    assert.equal(state.attemptCount, 0);
    assert.deepEqual(state.faults, []);
    assert.equal(e2e.powerCuts, 1, 'acted once');
    const alarm = eventsSince(e2e, from, 'state-unwritable').find((e) => e.requestId === requestId);
    assert.ok(alarm, 'alarm for the operation');
    assert.equal(alarm.severity, 'critical');
    assert.equal(alarm.data?.errno, 'ENOSPC');
    assert.ok(daemon.running, daemon.output);

    // Space again: the stale journal record (its last writes failed) is cleared; nothing is redone.
    const beforeFix = e2e.observer.seen.length;
    daemon.unfill();
    await waitFor(() => eventsSince(e2e, beforeFix, 'state-writable')[0], 'state-writable event', 20_000);
    await waitFor(
      () => (existsSync(daemon.inside(journalFile(stateDir, 'hap1'))) ? undefined : true),
      'journal cleared',
      10_000,
    );
    await assertAuditIntact(daemon, stateDir);
    assert.equal(e2e.answers(requestId).filter((a) => a.data.final).length, 1, 'outcome reported once');
    assert.equal(e2e.powerCuts, 1);
  },
);

async function approvalRefusedThenRecovered(
  t: { after: (fn: () => Promise<void> | void) => void },
  fault: 'full' | 'read-only',
): Promise<void> {
  const { e2e, daemon, stateDir } = await site(t);
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  if (fault === 'full') daemon.fill();
  else daemon.readOnly();
  const from = e2e.observer.seen.length;
  const refused = await e2e.site.team.approval(open.challenge, {
    expect: { enable: ['container'] },
    method: 'power',
  });
  const refusedId = e2e.requestIdOf(refused);
  await e2e.publish('approval', refused);
  const answer = await e2e.finalAnswer(refusedId, 30_000);
  assert.equal(answer.data.state, 'failed');
  assert.equal(answer.error?.code, 'state-unwritable', JSON.stringify(answer));
  const alarm = await waitFor(
    () => eventsSince(e2e, from, 'state-unwritable').find((e) => e.requestId === refusedId),
    'state-unwritable alarm',
  );
  assert.equal(alarm.data?.errno, fault === 'full' ? 'ENOSPC' : 'EROFS', JSON.stringify(alarm));
  // Full: the ledger refuses for want of headroom even where its line would fit (the
  // `accepted` audit line may fail first).
  assert.match(alarm.data?.path ?? '', fault === 'full' ? /(trust-ledger|audit)\.jsonl$/ : /trust-ledger\.jsonl$/);
  await sleep(1000);
  assert.equal(e2e.powerCuts + e2e.presses, 0, 'nothing actuated');
  assert.ok(
    !e2e.observer.seen.slice(from).some((m) => m.topic === e2e.topics.challenge('hap1') && m.payload === ''),
    'the challenge is still open',
  );

  // Writable again: the same approval, sent again, is verified again (its nonce is still
  // the challenge's) and carried out.
  const beforeFix = e2e.observer.seen.length;
  if (fault === 'full') daemon.unfill();
  else daemon.writable();
  await waitFor(() => eventsSince(e2e, beforeFix, 'state-writable')[0], 'state-writable event', 20_000);
  await e2e.publish('approval', refused);
  await answerIn(e2e, refusedId, 'done');
  assert.equal(e2e.powerCuts, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);
  await assertAuditIntact(daemon, stateDir);
}

void test(
  'an approval while the state directory is read-only is refused; once writable its resend works',
  { skip },
  async (t) => {
    await approvalRefusedThenRecovered(t, 'read-only');
  },
);

void test(
  'an approval while the state directory is full is refused, nothing used; freed, its resend works',
  { skip },
  async (t) => {
    await approvalRefusedThenRecovered(t, 'full');
  },
);

void test(
  'killed with the power cut, restarted on a read-only state directory: restores power, then stops',
  { skip },
  async (t) => {
    const { e2e, daemon, stateDir } = await site(t, { offMs: 15_000 });
    const requestId = await powerChange(e2e, 'container');
    await waitFor(() => (e2e.site.router.state().power === 'off' ? true : undefined), 'power cut', 30_000);
    daemon.copyOut(); // the journal says: actuator engaged
    daemon.kill('SIGKILL');
    await daemon.exited();
    assert.equal(e2e.site.router.state().power, 'off', 'the killed daemon left the power off');
    const second = new NamespacedDaemon(e2e.site.configFile, stateDir, { readOnlyAtStart: true });
    t.after(() => second.kill('SIGKILL'));
    second.start();
    const exit = await Promise.race([second.exited(), sleep(30_000, undefined, { ref: false }).then(() => undefined)]);
    assert.deepEqual(exit, { code: 1, signal: null }, second.output);
    assert.match(second.output, /EROFS/);
    assert.match(second.output, /audit\.jsonl/);
    assert.equal(e2e.site.router.state().power, 'on', `power restored before giving up\n${second.output}`);
    assert.equal(e2e.answers(requestId).filter((a) => a.data.final).length, 0, 'no outcome claimed');
    // The fleet view shows why: a retained offline status with the reason, never "online".
    const status = await e2e.observer.waitFor(
      (m) => m.topic === e2e.topics.status && m.payload.includes('"start-failed"'),
      'start-failed status',
    );
    const parsed = JSON.parse(status.payload) as { state: string; detail?: string };
    assert.equal(parsed.state, 'offline');
    assert.match(parsed.detail ?? '', /EROFS|read-only/);
    const reader = await Observer.connect(e2e.broker.url, [e2e.topics.status], { clientId: `reader-${process.pid}` });
    t.after(() => reader.close());
    const retained = await reader.waitFor((m) => m.retain, 'retained status');
    assert.match(retained.payload, /"start-failed"/);
  },
);
