// What the watcher's readings mean for one router (src/agent/change-watch.ts), without a
// router: someone else's rise starts the observed flow; ours, one while busy, or one while
// quarantined does not; a rise over our own verified read-back waits for the operation to end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeWatch } from '../../src/agent/change-watch.js';
import type { ObservedPending } from '../../src/agent/flows/observed-flow.js';
import { OwnUpdates } from '../../src/agent/own-update.js';
import { RouterBehaviours } from '../../src/agent/router-behaviour.js';
import type { AlarmInput } from '../../src/agent/router-context.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DeviceModeState } from '../../src/routeros/device-mode.js';
import { monotonicNowMs } from '../../src/time/monotonic.js';
import { homeState } from './fakes.js';

function rig() {
  const observed: ObservedPending[] = [];
  const alarms: AlarmInput[] = [];
  const observedBaselines: DeviceModeState[] = [];
  const rebased: DeviceModeState[] = [];
  const flags = { busy: false, halted: false };
  const own = new OwnUpdates(silentLogger());
  const watch = new ChangeWatch({
    name: 'r1',
    watcher: { rebase: (s) => rebased.push(s), stallAfterMs: 2000 },
    own,
    behaviours: new RouterBehaviours([]),
    orders: { read: () => undefined },
    state: { sample: () => undefined },
    verified: {
      observe: (_router, state) => {
        observedBaselines.push(state);
        return Promise.resolve();
      },
    },
    logger: silentLogger(),
    now: () => new Date(),
    recordVerified: () => undefined,
    alarm: (alarm) => alarms.push(alarm),
    version: () => '7.20',
    busy: () => flags.busy,
    halted: () => flags.halted,
    observed: (o) => observed.push(o),
  });
  const sample = (state: DeviceModeState) => ({ deviceMode: state, uptimeSeconds: 100, at: Date.now() });
  return { watch, observed, alarms, observedBaselines, rebased, flags, own, sample };
}

void test("change watch: a rise with nothing running is someone else's change, from the last reading", () => {
  const r = rig();
  r.watch.sample(r.sample(homeState()));
  r.watch.rose(0, 1, r.sample(homeState({ attemptCount: 1 })));
  assert.deepEqual(r.observed, [{ attemptCount: 1, previousAttemptCount: 0, before: homeState() }]);
});

void test('change watch: nothing starts while busy (our own request too), quarantined or stopping', () => {
  const r = rig();
  r.flags.busy = true;
  r.watch.rose(0, 1, r.sample(homeState({ attemptCount: 1 })));
  r.watch.operationEnded();
  r.flags.busy = false;
  r.flags.halted = true;
  r.watch.rose(1, 2, r.sample(homeState({ attemptCount: 2 })));
  assert.deepEqual(r.observed, []);
});

void test('change watch: a rise over our verified read-back while the operation ends is handled after', () => {
  const r = rig();
  r.flags.busy = true;
  r.watch.rebase(homeState());
  assert.deepEqual(r.rebased, [homeState()], 'the watcher compares against the read-back from now on');
  r.watch.rose(0, 1, r.sample(homeState({ attemptCount: 1 })));
  assert.equal(r.observed.length, 0);
  r.flags.busy = false;
  r.watch.operationEnded();
  assert.deepEqual(
    r.observed.map((o) => [o.previousAttemptCount, o.attemptCount]),
    [[0, 1]],
  );
  r.watch.operationEnded();
  assert.equal(r.observed.length, 1, 'handled once');
});

void test('change watch: the rise our own update gave is ours, once', () => {
  const r = rig();
  const update = {
    phases: [],
    outcome: new Promise<never>(() => undefined),
    handOver: () => undefined,
    settleBy: () => undefined,
    async *[Symbol.asyncIterator]() {},
  };
  r.own.sent({
    operationId: 'op-1',
    requestId: 'req-1',
    update,
    cancel: () => undefined,
    attemptCount: 1,
    deadlineMono: monotonicNowMs() + 60_000,
    before: homeState(),
  });
  r.watch.rose(0, 1, r.sample(homeState({ attemptCount: 1 })));
  assert.equal(r.observed.length, 0);
  r.watch.rose(1, 2, r.sample(homeState({ attemptCount: 2 })));
  assert.equal(r.observed.length, 1, "a further rise is someone else's");
});

void test('change watch: router-flagged and attempts-exhausted raised once each; baseline only while idle', () => {
  const r = rig();
  r.watch.sample(r.sample(homeState()));
  r.watch.sample(r.sample(homeState({ flagged: true, attemptCount: 3 })));
  r.watch.sample(r.sample(homeState({ flagged: true, attemptCount: 3 })));
  assert.deepEqual(
    r.alarms.map((a) => a.code),
    ['router-flagged', 'attempts-exhausted'],
  );
  r.flags.busy = true;
  r.watch.sample(r.sample(homeState()));
  assert.equal(r.observedBaselines.length, 3);
  assert.deepEqual(r.watch.last, homeState());
});
