import { execFile, spawn } from 'node:child_process';
import type { Logger } from '../log/logger.js';
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
 * SCHED_FIFO priority of the timing child: above every normal task, below the kernel's
 * threaded interrupt handlers (50). Measured (bench/press.ts, every core busy): at normal
 * priority the child's nanosleep wake-up waits behind the busy tasks, 20-100 ms at p99;
 * at real-time priority it runs at once.
 */
export const PRESS_RT_PRIORITY = 20;

/**
 * Starts timing children at real-time priority with util-linux `chrt` when this process may
 * (root, CAP_SYS_NICE, or an RLIMIT_RTPRIO such as systemd's LimitRTPRIO=, and no
 * RestrictRealtime=); otherwise at normal priority, with a warning saying how to allow it.
 */
export class ChildPriority {
  #realtime: Promise<boolean> | undefined;
  #usable = false;

  constructor(
    private readonly logger: Logger,
    private readonly tool = 'chrt',
  ) {}

  /** Probes once (`chrt --fifo N true`); later calls reuse the answer. */
  async probe(): Promise<boolean> {
    this.#realtime ??= new Promise<boolean>((resolve) => {
      execFile(
        this.tool,
        ['--fifo', String(PRESS_RT_PRIORITY), 'true'],
        { timeout: 5000 },
        (error, _stdout, stderr) => {
          if (!error) {
            this.logger.info({ priority: PRESS_RT_PRIORITY }, 'timed presses run at real-time priority (SCHED_FIFO)');
            return resolve(true);
          }
          const why = (stderr || error.message).trim();
          this.logger.warn(
            { why },
            'timed presses run at normal priority: a busy CPU can stretch a press by the scheduler latency; ' +
              'allow real-time priority (systemd LimitRTPRIO=' +
              String(PRESS_RT_PRIORITY) +
              ' and RestrictRealtime=no, or run as root)',
          );
          resolve(false);
        },
      );
    });
    this.#usable = await this.#realtime;
    return this.#usable;
  }

  /** The command as run: under `chrt --fifo` when the probe allowed it. */
  wrap(command: ChildCommand): ChildCommand {
    if (!this.#usable) return command;
    return { file: this.tool, args: ['--fifo', String(PRESS_RT_PRIORITY), command.file, ...command.args] };
  }
}

/**
 * libgpiod v2: one gpioset that sets the line, toggles it after `ms` and exits (`-t MS,0`).
 * v1 has no toggle: a shell runs `--mode=time` (holds for the period, nanosleep) and at
 * once the release, with no Node in between.
 */
export function gpiosetPulseCommand(
  version: LibgpiodVersion,
  tool: string,
  chip: string,
  line: number,
  active: 0 | 1,
  ms: number,
): ChildCommand {
  const released = active === 1 ? 0 : 1;
  if (version === 2) return { file: tool, args: ['-c', chip, '-t', `${ms}ms,0`, `${line}=${active}`] };
  const script = '"$0" --mode=time --usec="$1" "$2" "$3=$4"; exec "$0" --mode=exit "$2" "$3=$5"';
  return {
    file: 'sh',
    args: ['-c', script, tool, String(ms * 1000), chip, String(line), String(active), String(released)],
  };
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
    child.once('error', (error) =>
      reject(
        new ActuatorUnavailableError(`${description}: cannot run ${command.file}: ${error.message}`, { cause: error }),
      ),
    );
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new ActuatorProtocolError(`${description}: timed press child exited ${signal ?? code}: ${stderr.trim()}`),
        );
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
