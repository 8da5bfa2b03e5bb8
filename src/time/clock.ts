import { monotonicNowMs } from './monotonic.js';
import { pause } from './pause.js';

/**
 * The one clock the daemon's timed parts take: wall time (for people and records),
 * monotonic time (for every interval, which no wall-clock step moves) and sleeping (ended
 * early, never rejected, when `signal` aborts). Injectable, so tests need no real waiting
 * where it does not matter. Whether wall time can be believed is a separate question: see
 * WallClock (wall-clock.ts).
 */
export interface Clock {
  wall(): Date;
  mono(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** performance.now() as monotonic time: the actuators' clock (their edges are stamped with it). */
export const realClock: Clock = {
  wall: () => new Date(),
  mono: () => performance.now(),
  sleep: (ms, signal) => pause(ms, signal),
};

/**
 * The agent's flows' clock: monotonic time is CLOCK_MONOTONIC since boot (monotonic.ts), so a
 * reading can be journaled and compared after an agent restart in the same boot (deadline.ts).
 * Wall time comes from `wall` (the agent's injectable now).
 */
export function systemClock(wall: () => Date = () => new Date()): Clock {
  return { wall, mono: monotonicNowMs, sleep: (ms, signal) => pause(ms, signal) };
}
