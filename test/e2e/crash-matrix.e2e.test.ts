/**
 * Issue #6, fault injection: the real daemon SIGKILLed at each operation state, then
 * restarted on the same state directory (as systemd would). Each case stops the agent at
 * a moment it cannot leave by itself: a RouterOS command it waits for is held at the
 * simulated router, or a physical edge on the router fires the kill synchronously; the
 * journal read at the kill proves which state the restart recovered from.
 *
 * Every case checks: exactly one final state for the operation (acted: done after
 * verification; not acted: cancelled, saying nothing was actuated), the actuator used at
 * most once, the same signed message sent again after the restart refused without acting,
 * power on, button up, no simulator faults, and an audit log that verifies against every
 * signed checkpoint. Where the operation was cancelled, the change it saw is still pending
 * on the router: the restarted agent challenges it afresh, and only a new approval of that
 * challenge confirms it (one press).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationRecord } from '../../src/agent/journal.js';
import type { OperationState } from '../../src/agent/operation-state.js';
import type { ChallengeMessage } from '../../src/mqtt/contract.js';
import { waitFor } from '../helpers/mosquitto.js';
import { E2E } from './harness.js';
import { ledgerSections } from './state-files.js';
import {
  assertAuditIntact,
  assertPhysicalSafe,
  daemon,
  finalsOf,
  journaled,
  onCommand,
  operationAnswers,
  republishRefused,
} from './fault-matrix.js';

type Trigger =
  /** The agent's command reaches the router: it waits for the answer, so it is still where its journal says. */
  | { command: string }
  /** A physical edge on the router, seen synchronously. */
  | { event: 'button-down' | 'power-off' | 'booted' }
  /** The agent waits there for something that does not come (an approval, a held disk write). */
  | { poll: true };

interface CrashCase {
  state: OperationState;
  flow: 'change' | 'observed';
  /** observed: without a method, no approval is sent (the kill comes before one could be). */
  method?: 'button' | 'power';
  trigger: Trigger;
  outcome: 'done' | 'cancelled';
  why: string;
  routerTiming?: { bootMs: number; shutdownMs: number; minOffMs: number };
  holdChallenge?: boolean;
  /** The daemon's journal write of `actuating` never completes (test/e2e/hold-actuating.preload.ts). */
  holdActuating?: boolean;
  /** Down time before the restart (systemd's RestartSec is 10 s). */
  restartAfterMs?: number;
  /** Killed only once the trust ledger holds the order as used (its commit is durable). */
  afterCommit?: boolean;
}

const CASES: CrashCase[] = [
  {
    state: 'requesting',
    flow: 'change',
    method: 'button',
    trigger: { command: '/system/device-mode/update' },
    outcome: 'cancelled',
    why: 'killed as its update reaches the router, before it saw the update pending',
  },
  {
    state: 'pending',
    flow: 'change',
    method: 'button',
    trigger: { command: '/system/device-mode/print' },
    outcome: 'cancelled',
    why: 'killed at the attempt-count check right before acting',
  },
  {
    state: 'actuating',
    flow: 'change',
    method: 'button',
    trigger: { event: 'button-down' },
    outcome: 'done',
    why: 'killed with the button held down',
    // The killed daemon cannot release the button: the restarted one does, at start-up, and
    // must do so before the router goes down after the confirming press (see the report on
    // this matrix: with a 1 s shutdown and a slower restart, the button is held at boot).
    routerTiming: { bootMs: 2000, shutdownMs: 15_000, minOffMs: 1500 },
  },
  {
    state: 'rebooting',
    flow: 'change',
    method: 'button',
    trigger: { event: 'booted' },
    outcome: 'done',
    why: 'killed as the router it rebooted comes back',
  },
  {
    state: 'verifying',
    flow: 'change',
    method: 'power',
    trigger: { command: '/system/device-mode/print' },
    outcome: 'done',
    why: 'killed while reading device-mode back',
  },
  {
    state: 'pending-observed',
    flow: 'observed',
    trigger: { poll: true },
    outcome: 'cancelled',
    why: 'killed after the attempt-count alarm, before the challenge was issued',
    holdChallenge: true,
  },
  {
    state: 'challenged',
    flow: 'observed',
    trigger: { poll: true },
    outcome: 'cancelled',
    why: 'killed while waiting for an approval',
  },
  {
    state: 'challenged',
    flow: 'observed',
    method: 'button',
    trigger: { poll: true },
    afterCommit: true,
    holdActuating: true,
    outcome: 'cancelled',
    why: "killed after the approval's commit, before the record that goes with the first edge",
  },
  {
    state: 'actuating',
    flow: 'observed',
    method: 'power',
    trigger: { event: 'power-off' },
    outcome: 'done',
    why: 'killed with the power cut after a valid approval',
    // Longer than the router's minimum off time for a cold boot, as systemd's RestartSec is:
    // restarted sooner, the released power is a blip that confirms nothing (not-confirmed.e2e.test.ts).
    restartAfterMs: 2000,
  },
  {
    state: 'verifying',
    flow: 'observed',
    method: 'button',
    trigger: { command: '/system/device-mode/print' },
    outcome: 'done',
    why: 'killed while reading device-mode back after an approved press',
  },
];

for (const c of CASES) {
  const outcome =
    c.outcome === 'done' ? 'done, acted once' : 'cancelled, nothing pressed until a new challenge is approved';
  const flow = `${c.flow}${c.method ? `/${c.method}` : ''}`;
  const name = `${flow}: SIGKILLed in ${c.state} (${c.why}), restarted: ${outcome}; the order resent is refused`;
  void test(name, async (t) => {
    const e2e = new E2E();
    t.after(() => e2e.stop());
    await e2e.start(c.routerTiming ? { router: { timing: c.routerTiming } } : {});
    await e2e.stopAgent();
    const preload = c.holdChallenge ? 'hold-challenge' : c.holdActuating ? 'hold-actuating' : undefined;
    const first = await daemon(e2e, t, preload ? ['--import', `./test/e2e/${preload}.preload.ts`] : []);

    // The kill: synchronous, at the first moment the journal shows the state.
    // (afterCommit: and the trust ledger holds the order as used; `order` is set before that can be.)
    const committed = () => !c.afterCommit || (order !== undefined && ledgerHolds(e2e, e2e.requestIdOf(order.jws)));
    let atKill: OperationRecord | undefined;
    const killIfThere = () => {
      if (atKill) return;
      const record = journaled(e2e);
      if (record?.state !== c.state) return;
      if (!committed()) return;
      atKill = record;
      first.kill('SIGKILL');
    };
    const router = e2e.site.router;
    const trigger = c.trigger;
    if ('command' in trigger) onCommand(router, trigger.command, killIfThere);
    else if ('event' in trigger) {
      if (trigger.event === 'button-down') router.on('button', (e: { down: boolean }) => e.down && killIfThere());
      if (trigger.event === 'power-off') router.on('power', (e: { on: boolean }) => !e.on && killIfThere());
      if (trigger.event === 'booted') router.on('booted', killIfThere);
    }

    // The order (or someone else's change, then the approval of its challenge).
    let order: { kind: 'request' | 'approval'; jws: string } | undefined;
    if (c.flow === 'change') {
      const jws = await e2e.site.team.changeRequest({
        agent: 'pi-demo',
        router: e2e.router,
        change: { enable: ['container'] },
        method: c.method!,
        activationTimeoutSeconds: 60,
      });
      await e2e.publish('request', jws);
      order = { kind: 'request', jws };
    } else {
      e2e.otherClientUpdate({ enable: ['container'] }, 60);
      if (c.method) {
        const open = await e2e.challenge();
        const jws = await e2e.site.team.approval(open.challenge, {
          expect: { enable: ['container'] },
          method: c.method,
        });
        order = { kind: 'approval', jws };
        await e2e.publish('approval', jws);
      }
    }
    if ('poll' in trigger)
      await waitFor(() => (journaled(e2e)?.state === c.state && committed() ? true : undefined), c.state, 30_000);
    if ('poll' in trigger) killIfThere();
    const exit = await Promise.race([first.exited(), sleep(45_000, undefined, { ref: false }).then(() => undefined)]);
    assert.ok(exit, `the daemon was never seen in ${c.state}`);
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(atKill);
    assert.equal(atKill.state, c.state, 'killed in the intended state');
    const operationId = atKill.id;
    // The challenge waiting for an approval that never came: its fresh approval must be refused after the restart.
    const openChallenge = c.state === 'challenged' ? await e2e.challenge() : undefined;

    if (c.restartAfterMs) await sleep(c.restartAfterMs);
    await daemon(e2e, t);
    await waitFor(
      () => (finalsOf(e2e, operationId).length > 0 ? true : undefined),
      `final state of operation ${operationId}`,
      60_000,
    );
    assert.deepEqual(
      finalsOf(e2e, operationId),
      [c.outcome],
      `history: ${JSON.stringify(journaled(e2e) ?? atKill.history)}`,
    );

    // Nothing acts without a valid approval: the same signed order again is a replay.
    if (order)
      await republishRefused(
        e2e,
        order.kind,
        order.jws,
        order.kind === 'request' ? ['replayed'] : ['replayed', 'wrong-challenge', 'nonce-stale'],
      );
    if (openChallenge) {
      const late = await e2e.site.team.approval(openChallenge.challenge, {
        expect: { enable: ['container'] },
        method: 'power',
      });
      await republishRefused(e2e, 'approval', late, ['wrong-challenge', 'nonce-stale']);
    }

    const acted = c.outcome === 'done';
    let fresh: ChallengeMessage | undefined;
    if (!acted) {
      await sleep(1000); // a late action would show by now
      assert.equal(e2e.presses + e2e.powerCuts, 0, 'nothing actuated');
      // The change is still pending on the router; its approval went with the killed process.
      const seen = await e2e.observer.waitFor(
        (m) =>
          m.topic === e2e.topics.challenge('hap1') &&
          m.payload !== '' &&
          (JSON.parse(m.payload) as ChallengeMessage).operationId !== operationId,
        'a new challenge for the change still pending',
        20_000,
      );
      fresh = JSON.parse(seen.payload) as ChallengeMessage;
      assert.equal(fresh.challenge.observed?.attemptCount, 1);
      const approval = await e2e.site.team.approval(fresh.challenge, {
        expect: { enable: ['container'] },
        method: 'button',
      });
      await e2e.publish('approval', approval);
      const final = await e2e.finalAnswer(e2e.requestIdOf(approval));
      assert.equal(final.data.state, 'done', JSON.stringify(final));
    }

    await sleep(1000); // anything reported twice or acted on late would show by now
    assert.deepEqual(finalsOf(e2e, operationId), [c.outcome], 'one final state for the operation');
    if (fresh) assert.deepEqual(finalsOf(e2e, fresh.operationId), ['done'], 'one final state for the new operation');
    if (order) {
      const answers = operationAnswers(e2e, e2e.requestIdOf(order.jws));
      assert.deepEqual(
        answers.map((a) => a.data.state),
        [c.outcome],
        'one final answer to the order',
      );
    }
    assert.equal(e2e.presses, !acted || c.method === 'button' ? 1 : 0, 'button presses');
    assert.equal(e2e.powerCuts, acted && c.method === 'power' ? 1 : 0, 'power cuts');
    assertPhysicalSafe(e2e);
    const state = e2e.site.router.state();
    assert.equal(state.deviceMode.features.container, true);
    assert.equal(state.attemptCount, 0);
    await assertAuditIntact(e2e);
  });
}

/** Whether the agent's trust ledger records this request id as used (read at the kill, synchronously). */
function ledgerHolds(e2e: E2E, requestId: string): boolean {
  try {
    const ledger = ledgerSections(join(e2e.site.dir, 'state')) as { replay?: { seen?: object } };
    return Object.hasOwn(ledger.replay?.seen ?? {}, requestId);
  } catch {
    return false;
  }
}
