/**
 * sd_notify for a Node daemon: READY=1, STATUS=..., WATCHDOG=1 at half of WATCHDOG_USEC,
 * STOPPING=1. Does nothing when NOTIFY_SOCKET is unset (not under systemd, tests, CLI).
 *
 * Node has no unix datagram sockets, and the npm bindings are native addons (a compiler
 * on every Pi, or prebuilt binaries per Node ABI). systemd ships `systemd-notify`, which
 * since systemd 246 waits (BARRIER=1) until the manager has processed the message, so
 * the message is attributed to our unit even though the sender is a short-lived child.
 * Because the sender is not the main PID, the unit needs NotifyAccess=all.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';

/** Sends one notification (newline-joined assignments). */
export type NotifySender = (assignments: string[]) => Promise<void>;

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of systemd-notify; found on PATH by default. */
  binary?: string;
  sender?: NotifySender;
  logger?: Logger;
  pid?: number;
}

/** A sender that runs `systemd-notify VAR=VALUE...` with NOTIFY_SOCKET passed through. */
export function systemdNotifySender(
  env: NodeJS.ProcessEnv,
  binary = 'systemd-notify',
  timeoutMs = 10_000,
): NotifySender {
  return (assignments) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(binary, assignments, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`${binary} ${assignments.join(' ')} failed (${signal ?? code}): ${stderr.trim()}`));
      });
    });
}

/** Watchdog ping interval: half of WATCHDOG_USEC, if the watchdog is meant for this process. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** One line: a newline in a status text would smuggle in another assignment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

export class SystemdNotifier {
  readonly enabled: boolean;
  readonly watchdogMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #send: NotifySender;
  #warned = false;

  constructor(private readonly options: NotifierOptions = {}) {
    const env = options.env ?? process.env;
    this.enabled = Boolean(env.NOTIFY_SOCKET);
    this.watchdogMs = this.enabled ? watchdogIntervalMs(env, options.pid ?? process.pid) : undefined;
    this.#send = options.sender ?? systemdNotifySender(env, options.binary);
  }

  ready(status?: string): Promise<void> {
    return this.notify(['READY=1', ...(status ? [`STATUS=${oneLine(status)}`] : [])]);
  }

  status(text: string): Promise<void> {
    return this.notify([`STATUS=${oneLine(text)}`]);
  }

  async stopping(status?: string): Promise<void> {
    this.stopWatchdog();
    await this.notify(['STOPPING=1', ...(status ? [`STATUS=${oneLine(status)}`] : [])]);
  }

  /**
   * Pings at half the interval while `healthy()` says so. Skipping pings when a loop the
   * agent depends on is stuck lets systemd kill and restart us: crash-only beats half-alive.
   */
  startWatchdog(healthy: () => boolean = () => true): void {
    if (this.watchdogMs === undefined || this.#timer) return;
    this.#timer = setInterval(() => {
      if (healthy()) void this.notify(['WATCHDOG=1']);
      else
        (this.options.logger ?? silentLogger()).error(
          'unhealthy: withholding the watchdog ping so systemd restarts us',
        );
    }, this.watchdogMs);
    this.#timer.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Never throws: a notification that cannot be sent is logged once, and systemd will judge. */
  private async notify(assignments: string[]): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.#send(assignments);
    } catch (error) {
      if (!this.#warned)
        (this.options.logger ?? silentLogger()).warn({ err: error }, 'sd_notify failed (is systemd-notify installed?)');
      this.#warned = true;
    }
  }
}
