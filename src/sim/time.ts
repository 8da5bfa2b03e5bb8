/**
 * Simulated time. Everything in the simulator is expressed in simulated milliseconds;
 * `scale` maps them to real ones (0.01 makes a 5 min activation timeout last 3 s).
 * A scale other than 1 is for tests only: real clients keep real-time timeouts.
 */
export class SimClock {
  private readonly origin = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly scale = 1) {
    if (!(scale > 0)) throw new RangeError(`time scale must be > 0, got ${scale}`);
  }

  /** Simulated milliseconds since the clock was created. */
  now(): number {
    return (performance.now() - this.origin) / this.scale;
  }

  toRealMs(simMs: number): number {
    return Math.max(0, simMs * this.scale);
  }

  /** A tracked timer in simulated time; clearAll() cancels whatever is left at stop(). */
  setTimeout(fn: () => void, simMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.toRealMs(simMs));
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, simMs));
  }

  clearAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
