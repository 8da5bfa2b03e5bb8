import { spawn } from 'node:child_process';
import type { LibgpiodVersion } from './gpioset.js';
import { ActuatorProtocolError, ActuatorUnavailableError } from './errors.js';

/**
 * A press timed by a child process instead of Node's event loop: the child sets the line,
 * holds it for exactly the press length (nanosleep in gpioset or sleep) and releases it, so
 * a busy CPU or a stalled event loop cannot stretch the press. The driver still re-asserts
 * the released level afterwards, as with any pulse.
 */
export interface TimedPulse {
  /** The child is running (it sets the line first thing). */
  started: Promise<void>;
  /** The child released the line and exited. */
  done: Promise<void>;
  /** Stops a child that overran (the driver then releases the line itself). */
  kill(): void;
}

export interface ChildCommand {
  file: string;
  args: string[];
}

/**
 * libgpiod v2: one gpioset that sets the line, toggles it after `ms` and exits (`-t MS,0`).
 * v1 has no toggle: a shell runs `--mode=time` (holds for the period, nanosleep) and at
 * once the release, with no Node in between.
 */
export function gpiosetPulseCommand(version: LibgpiodVersion, tool: string, chip: string, line: number, active: 0 | 1, ms: number): ChildCommand {
  const released = active === 1 ? 0 : 1;
  if (version === 2) return { file: tool, args: ['-c', chip, '-t', `${ms}ms,0`, `${line}=${active}`] };
  const script = '"$0" --mode=time --usec="$1" "$2" "$3=$4"; exec "$0" --mode=exit "$2" "$3=$5"';
  return { file: 'sh', args: ['-c', script, tool, String(ms * 1000), chip, String(line), String(active), String(released)] };
}

/** sysfs (the value file is logical, onoff set active_low): write 1, sleep, write 0, in one shell. */
export function sysfsPulseCommand(valueFile: string, ms: number): ChildCommand {
  const script = 'printf 1 > "$0"; sleep "$1"; printf 0 > "$0"';
  return { file: 'sh', args: ['-c', script, valueFile, (ms / 1000).toFixed(3)] };
}

export function runChildPulse(command: ChildCommand, description: string): TimedPulse {
  // Its own process group, so an overrunning child is stopped with everything it started.
  const child = spawn(command.file, command.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) => reject(new ActuatorUnavailableError(`${description}: cannot run ${command.file}: ${error.message}`, { cause: error })));
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ActuatorProtocolError(`${description}: timed press child exited ${signal ?? code}: ${stderr.trim()}`));
    });
  });
  done.catch(() => undefined); // observed by the caller after started; never an unhandled rejection
  const kill = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is gone already
    }
  };
  return { started, done, kill };
}
