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

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses RouterOS time values: `10s`, `5m`, `1h30m`, `1d`, `2w`, `500ms`, `00:05:00`,
 * `1d00:05:00`, or a bare number of seconds. Returns milliseconds, undefined if malformed.
 */
export function parseRosDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const clock = /^(?:(\d+)d)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(t);
  if (clock) {
    const [, d, h, m, s, frac] = clock;
    return Number(d ?? 0) * UNIT_MS.d! + Number(h) * UNIT_MS.h! + Number(m) * UNIT_MS.m! + Number(s) * 1000
      + (frac ? Number(frac.padEnd(3, '0')) : 0);
  }
  if (!/^(\d+(ms|w|d|h|m|s))+$/.test(t)) return undefined;
  let total = 0;
  for (const part of t.matchAll(/(\d+)(ms|w|d|h|m|s)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return total;
}

/** Formats like RouterOS uptimes: `1w2d3h4m5s`, `0s` for zero; sub-second parts dropped. */
export function formatRosDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  let out = '';
  for (const [unit, size] of [['w', 604_800], ['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out || '0s';
}
