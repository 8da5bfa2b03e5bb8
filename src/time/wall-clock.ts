import { execFile } from 'node:child_process';

/**
 * The wall clock and whether it can be believed. A Raspberry Pi has no RTC: until NTP has
 * synchronized, wall time can be off by years, so wall-clock windows and expiries are only
 * checked when this says synchronized, and a message that needs wall time is refused
 * otherwise. An unsynchronized clock never extends validity.
 */
export interface WallClock {
  now(): number;
  isSynchronized(): Promise<boolean>;
}

export type ClockMode = 'systemd' | 'assume-synced' | 'assume-unsynced';

/** The system probes, injectable so tests never depend on the host. */
export interface SyncProbes {
  run(command: string, args: string[]): Promise<string | undefined>;
}

/**
 * systemd-timesyncd's flag file. Deliberately not evidence: it is created at the first
 * synchronization and stays until reboot, so it survives an admin's `date -s`.
 */
export const TIMESYNCD_FLAG = '/run/systemd/timesync/synchronized';

/** STA_UNSYNC in the kernel's adjtimex status (include/uapi/linux/timex.h). */
export const STA_UNSYNC = 0x0040;
/** The largest kernel maxerror (µs) systemd still calls synchronized (timedated's rule). */
const MAX_ERROR_US = 16_000_000;

const realProbes: SyncProbes = {
  run: (command, args) =>
    new Promise((resolve) => {
      execFile(command, args, { timeout: 2000, encoding: 'utf8' }, (error, stdout) =>
        resolve(error ? undefined : stdout),
      );
    }),
};

/** `adjtimex --print`: synchronized when STA_UNSYNC is clear and maxerror is small; undefined when unreadable. */
export function adjtimexSynchronized(output: string): boolean | undefined {
  const field = (name: string) => {
    const m = new RegExp(`^\\s*${name}:\\s*(-?\\d+)\\s*$`, 'm').exec(output);
    return m ? Number(m[1]) : undefined;
  };
  const status = field('status');
  const maxError = field('maxerror');
  if (status === undefined || maxError === undefined) return undefined;
  return (status & STA_UNSYNC) === 0 && maxError < MAX_ERROR_US;
}

/**
 * Whether the kernel says the clock is synchronized (its adjtimex state), which a manual step
 * cannot fake: `date -s` (settimeofday, clock_settime) makes the kernel set STA_UNSYNC and the
 * maximum error to its limit, and only a time service disciplining the clock clears them
 * again. Read through timedatectl's NTPSynchronized (timedated asks adjtimex), or, without
 * systemd, `adjtimex --print` (Debian package adjtimex). timesyncd's flag file and chrony's
 * leap status are not used: both can still say "synchronized" after `date -s`. Every failure
 * (no tool, no D-Bus, a timeout) counts as "not synchronized".
 */
export async function probeSystemClockSync(probes: SyncProbes = realProbes): Promise<boolean> {
  const timedatectl = (await probes.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']))?.trim();
  if (timedatectl === 'yes') return true;
  if (timedatectl === 'no') return false;
  const adjtimex = await probes.run('adjtimex', ['--print']);
  return (adjtimex !== undefined && adjtimexSynchronized(adjtimex)) === true;
}

/** How long a probe's answer stands while the wall clock has not stepped since. */
export const SYNC_ANSWER_MS = 60_000;
/** An answer older than this is still given, and a new probe starts in the background. */
export const SYNC_REFRESH_MS = 15_000;
/**
 * A wall clock that moved this far against the monotonic clock since the probe was stepped
 * (`date -s`, an NTP step): the answer is void and the next call probes again. Slewing moves
 * it at most 0.5 ms/s, 30 ms in SYNC_ANSWER_MS.
 */
export const SYNC_STEP_MS = 250;

/**
 * The probe's answer, kept: each probe spawns a process (timedatectl asks timedated over
 * D-Bus, which systemd may have to start), far too slow for every message the agent
 * verifies. An answer stands for SYNC_ANSWER_MS unless the wall clock stepped since, which
 * is what `date -s` does; concurrent callers share one probe.
 */
export function keptSyncAnswer(
  probe: () => Promise<boolean>,
  clocks: { wall: () => number; mono: () => number },
): () => Promise<boolean> {
  let kept: { synced: boolean; atMono: number; offset: number } | undefined;
  let probing: Promise<boolean> | undefined;
  const refresh = (): Promise<boolean> =>
    (probing ??= (async () => {
      const atMono = clocks.mono();
      const offset = clocks.wall() - atMono;
      try {
        const synced = await probe();
        kept = { synced, atMono, offset };
        return synced;
      } finally {
        probing = undefined;
      }
    })());
  return () => {
    const mono = clocks.mono();
    if (kept && Math.abs(clocks.wall() - mono - kept.offset) <= SYNC_STEP_MS) {
      const age = mono - kept.atMono;
      if (age < SYNC_ANSWER_MS) {
        if (age >= SYNC_REFRESH_MS) void refresh().catch(() => undefined);
        return Promise.resolve(kept.synced);
      }
    }
    return refresh();
  };
}

export function createWallClock(
  mode: ClockMode,
  deps: { now?: () => number; mono?: () => number; probes?: SyncProbes } = {},
): WallClock {
  const now = deps.now ?? Date.now;
  switch (mode) {
    case 'assume-synced':
      return { now, isSynchronized: () => Promise.resolve(true) };
    case 'assume-unsynced':
      return { now, isSynchronized: () => Promise.resolve(false) };
    case 'systemd':
      return {
        now,
        isSynchronized: keptSyncAnswer(() => probeSystemClockSync(deps.probes), {
          wall: now,
          mono: deps.mono ?? (() => performance.now()),
        }),
      };
  }
}

/** A clock for tests and tools: fixed or stepped time, synchronized or not. */
export function fixedClock(at: number | Date, synchronized: boolean): WallClock & { set(ms: number): void } {
  let t = typeof at === 'number' ? at : at.getTime();
  return {
    now: () => t,
    isSynchronized: () => Promise.resolve(synchronized),
    set: (ms) => {
      t = ms;
    },
  };
}
