/**
 * The one clock the daemon's timed parts take: wall time (for people and records),
 * monotonic time (for every interval: `performance.now()`, which no wall-clock step moves)
 * and sleeping. Injectable, so tests need no real waiting where it does not matter. Whether
 * wall time can be believed is a separate question: see WallClock (wall-clock.ts).
 */
export interface Clock {
  wall(): Date;
  mono(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  wall: () => new Date(),
  mono: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
