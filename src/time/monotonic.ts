import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Elapsed time that no wall-clock step changes (NTP stepping, a Pi without RTC booting in
 * 1970, an admin running `date`): CLOCK_MONOTONIC in ms, and the boot it counts in. The
 * stores that forget or expire things (replay memory, rate limits) age their entries by
 * this, never by wall time alone.
 */
export interface Monotonic {
  nowMs(): number;
  /** Readings compare only within one boot (kernel boot id; a per-process id without one). */
  readonly bootId: string;
}

/** The kernel's boot id; undefined where there is none (not Linux). */
export function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** CLOCK_MONOTONIC in ms (system-wide since boot on Linux, so valid across agent restarts). */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

let system: Monotonic | undefined;

/** CLOCK_MONOTONIC (process.hrtime is system-wide since boot on Linux, so valid across agent restarts). */
export function systemMonotonic(): Monotonic {
  system ??= { nowMs: monotonicNowMs, bootId: currentBootId() ?? `process-${randomUUID()}` };
  return system;
}

/** Where a store's persisted monotonic stamps come from: the boot and the reading when it was saved. */
export interface Timeline {
  boot: string;
  savedMono: number;
}

export function timelineNow(monotonic: Monotonic): Timeline {
  return { boot: monotonic.bootId, savedMono: monotonic.nowMs() };
}

/**
 * What to add to stamps written on `saved`'s timeline to put them on this one. The same
 * boot: nothing. Another boot (or an unknown one): the time between the save and now is
 * unknown, so it counts as none; every entry is then younger than it really is, which
 * keeps a replay id longer and a rate-limit entry counting longer: both fail closed.
 */
export function rebaseOffset(saved: Partial<Timeline> | undefined, monotonic: Monotonic): number {
  if (saved?.boot === monotonic.bootId) return 0;
  if (typeof saved?.savedMono !== 'number' || !Number.isFinite(saved.savedMono)) return monotonic.nowMs();
  return monotonic.nowMs() - saved.savedMono;
}

/** A monotonic clock for tests: starts at `start`, moves only when told. */
export function manualMonotonic(start = 0, bootId = 'test-boot'): Monotonic & { advance(ms: number): void } {
  let t = start;
  return {
    nowMs: () => t,
    bootId,
    advance: (ms) => {
      t += ms;
    },
  };
}
