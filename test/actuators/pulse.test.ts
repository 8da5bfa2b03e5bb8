import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { silentLogger } from '../../src/log/logger.js';
import { holdMs, planPowerOff, planPress, PulseChannel } from '../../src/actuators/pulse.js';
import { RelayActuator } from '../../src/actuators/base.js';
import {
  ActionAbortedError,
  ActuatorError,
  ActuatorBusyError,
  PressTooLongError,
  RestoreFailedError,
  UnsupportedActionError,
} from '../../src/actuators/errors.js';
import { realClock } from '../../src/time/clock.js';
import { RecordingOutput, delay, fastTiming } from './helpers.js';

const logger = silentLogger();

async function button(output = new RecordingOutput()): Promise<{ relay: RelayActuator; output: RecordingOutput }> {
  const relay = new RelayActuator('test', 'r1/button', 'normally-open', output, fastTiming, { logger });
  await relay.start();
  return { relay, output };
}

void test('press length: default, lengthened to the minimum, refused above the maximum', () => {
  assert.deepEqual(planPress(undefined, fastTiming), { effectiveMs: 60, clamped: false });
  assert.deepEqual(planPress(10, fastTiming), { effectiveMs: 50, clamped: true });
  assert.deepEqual(planPress(400, fastTiming), { effectiveMs: 400, clamped: false });
  assert.throws(() => planPress(401, fastTiming), PressTooLongError);
  assert.throws(() => planPress(Number.NaN, fastTiming), /non-negative/);
  assert.deepEqual(planPowerOff(10, fastTiming), { effectiveMs: 60, clamped: true });
  assert.deepEqual(planPowerOff(99_999, fastTiming), { effectiveMs: 500, clamped: true });
});

void test('property: a planned press never lies outside its bounds, and above the maximum is refused', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (ms) => {
      try {
        const plan = planPress(ms, fastTiming);
        return plan.effectiveMs >= fastTiming.pressMinMs && plan.effectiveMs <= fastTiming.pressMaxMs;
      } catch (error) {
        return error instanceof PressTooLongError && Math.round(ms) > fastTiming.pressMaxMs;
      }
    }),
  );
});

void test('a press closes, waits, releases, and reports edges that match the relay', async () => {
  const { relay, output } = await button();
  output.history = [];
  const report = await relay.press(120);
  assert.deepEqual(
    output.history.map((h) => h.energized),
    [true, false],
  );
  assert.deepEqual(
    report.edges.map((e) => e.edge),
    ['button-down', 'button-up'],
  );
  const [down, up] = report.edges;
  assert.ok(down && up);
  const held = up.monoMs - down.monoMs;
  // Timed from sending the engage step (see holdMs): about 120 ms, never a round trip longer.
  // The margins only absorb a loaded machine's scheduling.
  assert.ok(held >= 100 && held < 2000, `held ${held} ms`);
  const relayHeld = output.history[1]!.at - output.history[0]!.at;
  assert.ok(relayHeld >= 100 && relayHeld < 2000, `relay held ${relayHeld} ms`);
  assert.ok(Date.parse(up.at) >= Date.parse(down.at));
  assert.equal(report.effectiveMs, 120);
  assert.equal(report.clamped, false);
});

void test('one operation per output: a second press while pulsing is busy, the first still completes', async () => {
  const { relay, output } = await button();
  const first = relay.press(150);
  await assert.rejects(relay.press(60), ActuatorBusyError);
  await first;
  assert.equal(output.energized, false);
  await relay.press(60); // free again after the busy time
});

void test('cancellation works only before the first edge', async () => {
  const { relay, output } = await button();
  output.history = [];
  await assert.rejects(relay.press(60, { signal: AbortSignal.abort() }), ActionAbortedError);
  assert.deepEqual(output.history, []);
  const controller = new AbortController();
  const pressing = relay.press(150, { signal: controller.signal });
  await delay(30);
  controller.abort();
  const report = await pressing;
  assert.equal(report.edges.length, 2);
  assert.equal(output.energized, false);
});

void test('a throw mid-pulse still releases, then rethrows', async () => {
  const output = new RecordingOutput();
  output.failEnergize = new Error('write failed after the level changed');
  const { relay } = await button(output);
  await assert.rejects(relay.press(60), /write failed/);
  assert.equal(output.energized, false);
  const channel = new PulseChannel('c', logger, realClock, { busyAfterMs: 0 });
  let released = false;
  await assert.rejects(
    channel.run(
      'press',
      60,
      { effectiveMs: 60, clamped: false },
      {
        engagedEdge: 'down',
        releasedEdge: 'up',
        engage: () => Promise.resolve(),
        hold: async () => {
          await delay(10);
          throw new Error('boom in the hold');
        },
        release: () => {
          released = true;
          return Promise.resolve();
        },
      },
    ),
    /boom in the hold/,
  );
  assert.equal(released, true);
});

void test('stop() waits for an in-flight pulse to release and refuses new ones', async () => {
  const { relay, output } = await button();
  const pressing = relay.press(200);
  await delay(20);
  assert.equal(output.energized, true);
  await relay.stop();
  assert.equal(output.energized, false);
  assert.equal((await pressing).edges.length, 2);
  await assert.rejects(relay.press(60), /stopped|start\(\)/);
});

void test('failed releases are retried; when they keep failing the output stays busy and restore goes on', async () => {
  const output = new RecordingOutput();
  const power = new RelayActuator('test', 'r1/power', 'normally-closed', output, fastTiming, { logger });
  await power.start();
  output.failReleases = 4; // the pulse tries 3 times, the background loop succeeds on its 2nd
  await assert.rejects(power.powerCycle(60), RestoreFailedError);
  assert.equal(output.energized, true);
  await assert.rejects(power.powerCycle(60), ActuatorBusyError);
  for (let i = 0; i < 100 && output.energized; i++) await delay(50);
  assert.equal(output.energized, false, 'background restore powered the router again');
  assert.equal(output.releaseCalls, 1 + 5);
  await power.powerCycle(60);
  await power.stop();
});

void test('released() resolves when released, after the restore when a release failed, false if stopped', async () => {
  const output = new RecordingOutput();
  const power = new RelayActuator('test', 'r1/power', 'normally-closed', output, fastTiming, { logger });
  await power.start();
  assert.equal(await power.released(), true);
  output.failReleases = 4; // the pulse tries 3 times, the background loop succeeds on its 2nd
  await assert.rejects(power.powerCycle(60), RestoreFailedError);
  assert.equal(output.energized, true);
  assert.equal(await power.released(), true);
  assert.equal(output.energized, false, 'resolved only once the output was released');
  assert.equal(await power.released(), true);

  output.failReleases = Number.POSITIVE_INFINITY; // never comes back
  await assert.rejects(power.powerCycle(60), RestoreFailedError);
  const released = power.released();
  await power.stop();
  assert.equal(await released, false);
  assert.equal(output.energized, true);
});

void test('wiring decides what a relay can do', async () => {
  const { relay } = await button();
  await assert.rejects(relay.powerCycle(), UnsupportedActionError);
  const notStarted = new RelayActuator('test', 'x', 'normally-closed', new RecordingOutput(), fastTiming, { logger });
  assert.deepEqual(notStarted.capabilities, { press: false, powerCycle: true });
  await assert.rejects(notStarted.powerCycle(), /start\(\) must run first/);
});

void test('a press is timed from sending the engage step, a power cut from its answer', async () => {
  // Virtual time: the engage step takes 80 ms to answer (a slow relay board or PDU).
  let now = 0;
  const clock = { wall: () => new Date(now), mono: () => now, sleep: (ms: number) => ((now += ms), Promise.resolve()) };
  const releasedAt: Record<string, number> = {};
  for (const action of ['press', 'power-cycle'] as const) {
    now = 1000;
    const channel = new PulseChannel('c', logger, clock, { busyAfterMs: 0 });
    await channel.run(
      action,
      200,
      { effectiveMs: 200, clamped: false },
      {
        engagedEdge: 'on',
        releasedEdge: 'off',
        engage: () => ((now += 80), Promise.resolve()),
        release: () => ((releasedAt[action] = now), Promise.resolve()),
      },
    );
  }
  // Sent at 1000: the press is released 200 ms after the engage was sent (not 280, one
  // round trip too long); the cut lasts 200 ms from the answer, never shorter.
  assert.deepEqual(releasedAt, { press: 1200, 'power-cycle': 1280 });
  assert.equal(holdMs('press', 200, 500), 0, 'an engage slower than the press releases at once');
});

void test('an engage step that wrote nothing is marked nothingSent; one that wrote, then failed, is not', async () => {
  for (const wrote of [false, true]) {
    let sent = 0;
    const channel = new PulseChannel('c', logger, realClock, { busyAfterMs: 0 });
    const error = await channel
      .run(
        'power-cycle',
        60,
        { effectiveMs: 60, clamped: false },
        {
          engagedEdge: 'off',
          releasedEdge: 'on',
          commandsSent: () => sent,
          engage: () => {
            if (wrote) sent++;
            return Promise.reject(new ActuatorError('unavailable', 'device gone'));
          },
          release: () => Promise.resolve(),
        },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ActuatorError);
    assert.equal(error.nothingSent, wrote ? undefined : true, `wrote ${wrote}`);
  }
});
