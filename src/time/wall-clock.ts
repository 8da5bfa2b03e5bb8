import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';

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
  fileExists(path: string): Promise<boolean>;
  run(command: string, args: string[]): Promise<string | undefined>;
}

export const TIMESYNCD_FLAG = '/run/systemd/timesync/synchronized';

const realProbes: SyncProbes = {
  fileExists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  run: (command, args) =>
    new Promise((resolve) => {
      execFile(command, args, { timeout: 2000, encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout));
    }),
};

/**
 * True when any time service says the clock is synchronized: systemd-timesyncd's flag
 * file, timedatectl's NTPSynchronized, or chrony tracking with a normal leap status.
 * Every failure (no systemd, no chrony, a timeout) counts as "not synchronized".
 */
export async function probeSystemClockSync(probes: SyncProbes = realProbes): Promise<boolean> {
  if (await probes.fileExists(TIMESYNCD_FLAG)) return true;
  const timedatectl = await probes.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  if (timedatectl?.trim() === 'yes') return true;
  const chrony = await probes.run('chronyc', ['-n', 'tracking']);
  if (chrony && /^Leap status\s*:\s*Normal\s*$/m.test(chrony)) return true;
  return false;
}

export function createWallClock(mode: ClockMode, deps: { now?: () => number; probes?: SyncProbes } = {}): WallClock {
  const now = deps.now ?? Date.now;
  switch (mode) {
    case 'assume-synced':
      return { now, isSynchronized: () => Promise.resolve(true) };
    case 'assume-unsynced':
      return { now, isSynchronized: () => Promise.resolve(false) };
    case 'systemd':
      return { now, isSynchronized: () => probeSystemClockSync(deps.probes) };
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
