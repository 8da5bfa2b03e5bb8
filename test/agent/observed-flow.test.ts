// The observed change (someone else requested it) state by state, on fakes: the router and
// actuators (fakes.ts), the clock, and the approval port (fake-approvals.ts). Approvals
// reach the flow only through that port; the e2e suites keep the wiring through the gate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionDurationMs } from '../../src/agent/decisions.js';
import { runObservedPending, type ObservedPending } from '../../src/agent/flows/observed-flow.js';
import type { ObservedContext } from '../../src/agent/router-context.js';
import { RouterTimeoutError } from '../../src/routeros/errors.js';
import { approvalOf, FakeApprovals } from './fake-approvals.js';
import { FakeRouter, flowRig, homeState, type FlowRig } from './fakes.js';

/** Someone requested a change: attempt-count 0 → 1; a boot confirms it (container on). */
async function observedRig(t: Parameters<typeof flowRig>[0]) {
  const rig = await flowRig(t, new FakeRouter(homeState({ attemptCount: 1 })));
  rig.router.afterBoot = (s) => ({ ...s, attemptCount: 0, features: { ...s.features, container: true } });
  const approvals = new FakeApprovals();
  const ctx: ObservedContext = { ...rig.ctx, approvals };
  const observed: ObservedPending = { attemptCount: 1, previousAttemptCount: 0, before: homeState() };
  return { rig, approvals, ctx, observed };
}

/** The operation's states as journaled (consecutive repeats, from notes, folded). */
function journaled(rig: FlowRig): string[] {
  return rig.saved.map((r) => r.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

void test('observed: challenged, approved, actuating, rebooting, verifying, done; the challenge closed', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  approvals.answer = (challenge) => Promise.resolve({ approval: approvalOf(challenge), digest: 'approval-digest' });
  await runObservedPending(ctx, observed);
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'actuating', 'rebooting', 'verifying', 'done']);
  assert.deepEqual(approvals.opened, [{ attemptCount: 1, at: rig.clock.wall().toISOString() }]);
  assert.equal(approvals.closed, 1);
  assert.deepEqual(rig.button.acts, ['press']);
  assert.deepEqual(
    rig.alarms.map((a) => a.code),
    ['attempt-count-rose'],
  );
  const approved = rig.saved.find((r) => r.requestId);
  assert.equal(approved?.requestDigest, 'approval-digest', 'the approval is noted before acting; answers quote it');
  assert.equal(rig.saved.at(-1)?.state, 'done');
});

void test('observed: the approval wait ends in time to act: deadline less margin and shortest action', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  await runObservedPending(ctx, { ...observed, timeoutMs: 120_000 });
  const timing = (m: 'button' | 'power') => actionDurationMs(m, { pressMs: 300, offMs: 8000 });
  const shortest = Math.min(...rig.ctx.config.methods.map(timing));
  assert.deepEqual(approvals.waits, [120_000 - rig.ctx.policy.minActionMarginMs - shortest]);
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'expired']);
  assert.equal(rig.saved.at(-1)?.detail, 'no valid approval in time');
  assert.equal(approvals.closed, 1);
  assert.deepEqual([rig.button.acts, rig.power.acts], [[], []]);
});

void test('observed: the agent stopping while it waits cancels; nothing actuated', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  await runObservedPending({ ...ctx, signal: AbortSignal.abort() }, observed);
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'cancelled']);
  assert.equal(approvals.closed, 1);
  assert.deepEqual(rig.button.acts, []);
});

void test('observed: without a baseline it fails no-baseline and opens no challenge', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  await runObservedPending(ctx, { ...observed, before: undefined });
  assert.deepEqual(journaled(rig), ['pending-observed', 'failed']);
  assert.deepEqual(approvals.opened, []);
});

void test('observed: attempt-count moved again before acting is a security alarm; nothing actuated', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  approvals.answer = (challenge) => {
    rig.router.state = { ...rig.router.state, attemptCount: 2 }; // a second request meanwhile
    return Promise.resolve({ approval: approvalOf(challenge), digest: 'd' });
  };
  await runObservedPending(ctx, observed);
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'failed']);
  assert.deepEqual(
    rig.alarms.map((a) => [a.code, a.type]),
    [
      ['attempt-count-rose', undefined],
      ['attempt-count-changed', 'security'],
    ],
  );
  assert.deepEqual(rig.button.acts, []);
  assert.equal(approvals.closed, 1);
});

void test('observed: an approval taken too late to act in time expires too-late; nothing actuated', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  approvals.answer = (challenge) => {
    rig.clock.advance(118_000); // the deadline is 120 s; the margin is 15 s
    return Promise.resolve({ approval: approvalOf(challenge), digest: 'd' });
  };
  await runObservedPending(ctx, { ...observed, timeoutMs: 120_000 });
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'expired']);
  assert.equal(rig.finalCode(), 'too-late');
  assert.deepEqual(rig.button.acts, []);
});

void test('observed: a read before acting that times out (others stall while pending) is tolerated', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  approvals.answer = (challenge) =>
    Promise.resolve({ approval: approvalOf(challenge, { method: 'power' }), digest: 'd' });
  const read = rig.router.readDeviceMode.bind(rig.router);
  let stalls = 1;
  rig.router.readDeviceMode = (options) =>
    stalls-- > 0 ? Promise.reject(new RouterTimeoutError('/system/device-mode/print', 2000, 'fake')) : read(options);
  await runObservedPending(ctx, observed);
  assert.deepEqual(rig.power.acts, ['power-cycle']);
  assert.equal(rig.saved.at(-1)?.state, 'done');
});

void test('observed: a router cut before acting (every retry) fails router-unreachable; no action', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  approvals.answer = (challenge) => {
    rig.router.down = true;
    return Promise.resolve({ approval: approvalOf(challenge), digest: 'd' });
  };
  await runObservedPending(ctx, observed);
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'failed']);
  assert.equal(rig.finalCode(), 'router-unreachable');
  assert.deepEqual(rig.button.acts, []);
  assert.equal(approvals.closed, 1);
});

void test('observed: the router is read while the approval is recorded; it acts only once recorded', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  const events: string[] = [];
  let record: (ok: boolean) => void = () => undefined;
  approvals.answer = (challenge) =>
    Promise.resolve({
      approval: approvalOf(challenge),
      digest: 'd1',
      recorded: new Promise<boolean>((resolve) => (record = resolve)),
    });
  const [readMode, readResource] = [
    rig.router.readDeviceMode.bind(rig.router),
    rig.router.readResource.bind(rig.router),
  ];
  rig.router.readDeviceMode = (options) => {
    events.push('read device-mode');
    return readMode(options);
  };
  rig.router.readResource = async (options) => {
    events.push('read uptime');
    const resource = await readResource(options);
    events.push('recorded');
    record(true);
    return resource;
  };
  await runObservedPending(ctx, observed);
  assert.deepEqual(events.slice(0, 3), ['read device-mode', 'read uptime', 'recorded']);
  assert.deepEqual(rig.button.acts, ['press']);
  assert.equal(rig.saved.at(-1)?.state, 'done');
});

void test('observed: an approval whose record fails is not acted on; the next one is', async (t) => {
  const { rig, approvals, ctx, observed } = await observedRig(t);
  const recorded = [false, true];
  let n = 0;
  approvals.answer = (challenge) => {
    n += 1;
    return Promise.resolve({
      approval: approvalOf(challenge),
      digest: `d${n}`,
      recorded: Promise.resolve(recorded[n - 1] ?? false),
    });
  };
  await runObservedPending(ctx, observed);
  assert.equal(approvals.waits.length, 2, 'the flow waited again after the failed record');
  assert.deepEqual(rig.button.acts, ['press']);
  assert.equal(rig.saved.find((r) => r.requestDigest)?.requestDigest, 'd2');
  assert.deepEqual(journaled(rig), ['pending-observed', 'challenged', 'actuating', 'rebooting', 'verifying', 'done']);
});
