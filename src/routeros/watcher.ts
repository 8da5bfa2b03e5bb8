import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { DeviceModeState } from './device-mode.js';
import { RouterClient } from './client.js';
import type { RouterEndpoint } from './endpoint.js';
import { isRouterError, RouterTimeoutError, RouterUnreachableError, type RouterError } from './errors.js';
import { sameConfiguration } from './parse.js';
import { pause } from '../time/pause.js';
import { rebootedSince } from './reboot.js';

export interface WatchSample {
  deviceMode: DeviceModeState;
  uptimeSeconds: number;
  /** Wall-clock time of the sample (ms since epoch), for logs only. */
  at: number;
}

export interface DeviceModeWatcherEvents {
  /** Every successful poll. */
  state: [WatchSample];
  /** Someone requested a change (the only documented sign of a pending change). */
  'attempt-count-rose': [{ from: number; to: number; sample: WatchSample }];
  /** Back to a lower count: a physical confirmation or power cycle happened. */
  'attempt-count-reset': [{ from: number; to: number; sample: WatchSample }];
  'flagged-changed': [{ from: boolean; to: boolean; sample: WatchSample }];
  'device-mode-changed': [{ from: DeviceModeState; to: DeviceModeState }];
  /** Uptime went back: the router restarted since the previous sample. */
  rebooted: [{ previousUptimeSeconds: number; uptimeSeconds: number }];
  unreachable: [{ error: RouterError }];
  back: [{ downForMs: number }];
  /** A poll got no answer for stallAfterMs (while a change is pending the router may stall other sessions). */
  stalled: [{ sinceMs: number }];
  'stall-ended': [{ stalledForMs: number }];
}

export interface DeviceModeWatcherOptions {
  /** Poll interval; default 1000 ms. */
  intervalMs?: number;
  /** A poll unanswered this long is a stall; default max(2 × interval, 2000 ms). */
  stallAfterMs?: number;
  /** Per-read timeout; default the endpoint's timeoutMs. */
  pollTimeoutMs?: number;
  /** A shared read session; the watcher makes (and stops) its own if absent. */
  client?: RouterClient;
  logger?: Logger;
}

/**
 * Polls device-mode and uptime cheaply (two prints per interval, one poll at a time on one
 * session) and turns differences between samples into typed events.
 */
export class DeviceModeWatcher extends EventEmitter<DeviceModeWatcherEvents> {
  private readonly client: RouterClient;
  private readonly ownsClient: boolean;
  private readonly log: Logger;
  private readonly intervalMs: number;
  readonly stallAfterMs: number;
  private last: { sample: WatchSample; mono: number } | undefined;
  private downSince: number | undefined;
  private stalledSince: number | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private stopping = new AbortController();

  constructor(
    endpoint: RouterEndpoint,
    private readonly options: DeviceModeWatcherOptions = {},
  ) {
    super();
    this.log = (options.logger ?? silentLogger()).child({ component: 'device-mode-watcher', host: endpoint.host });
    this.ownsClient = !options.client;
    this.client = options.client ?? new RouterClient(endpoint, { logger: this.log });
    this.intervalMs = options.intervalMs ?? 1000;
    this.stallAfterMs = options.stallAfterMs ?? Math.max(2 * this.intervalMs, 2000);
  }

  /** The latest successful sample. */
  get latest(): WatchSample | undefined {
    return this.last?.sample;
  }

  get isStalled(): boolean {
    return this.stalledSince !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    if (this.ownsClient) await this.client.start();
    this.loop = this.pollLoop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    await this.loop;
    if (this.ownsClient) await this.client.stop();
  }

  /**
   * Rebases the comparison on a device-mode read elsewhere and known to be current (the
   * verified read-back after a reboot): the next poll compares against it, so an attempt
   * requested right after the reboot shows as a rise even when the last poll before the
   * reboot showed the same attempt-count (our own pending update).
   */
  rebase(deviceMode: DeviceModeState): void {
    if (this.last) this.last = { ...this.last, sample: { ...this.last.sample, deviceMode } };
  }

  private async pollLoop(): Promise<void> {
    while (this.running) {
      const began = performance.now();
      await this.pollOnce();
      const wait = Math.max(0, this.intervalMs - (performance.now() - began));
      await pause(wait, this.stopping.signal);
    }
  }

  private async pollOnce(): Promise<void> {
    const began = performance.now();
    const stallTimer = setTimeout(() => this.markStalled(began), this.stallAfterMs);
    const call = {
      signal: this.stopping.signal,
      ...(this.options.pollTimeoutMs ? { timeoutMs: this.options.pollTimeoutMs } : {}),
    };
    try {
      const deviceMode = await this.client.readDeviceMode(call);
      const sentAtMs = performance.now();
      const { uptimeSeconds } = await this.client.readResource(call);
      clearTimeout(stallTimer);
      this.onSample({ deviceMode, uptimeSeconds, at: Date.now() }, sentAtMs);
    } catch (error) {
      clearTimeout(stallTimer);
      if (!this.running) return;
      if (isRouterError(error)) await this.onFailure(error, began);
      // A reply we cannot parse is a defect to see in the logs, not an outage.
      else this.log.error({ err: error }, 'device-mode poll failed');
    }
  }

  private markStalled(since: number): void {
    if (this.stalledSince !== undefined || !this.running) return;
    this.stalledSince = since;
    this.log.warn('device-mode poll stalled');
    this.emit('stalled', { sinceMs: Math.round(performance.now() - since) });
  }

  private async onFailure(error: RouterError, began: number): Promise<void> {
    if (error instanceof RouterUnreachableError && error.loginStalled) {
      // A new session got TCP but no answer to its login: the router is there, stalling.
      this.markStalled(began);
      return;
    }
    if (error instanceof RouterTimeoutError) {
      // Silent session: a stall if the router still accepts connections; otherwise it
      // vanished (power cut, no FIN) and the half-open session must be dropped.
      if (await this.client.portAnswers(Math.min(this.stallAfterMs, 2000))) {
        this.markStalled(began);
        return;
      }
      await this.client.recycle();
    }
    this.stalledSince = undefined;
    if (this.downSince !== undefined) return;
    this.downSince = performance.now();
    this.log.warn({ err: error.message }, 'router unreachable');
    this.emit('unreachable', { error });
  }

  private onSample(sample: WatchSample, sentAtMs?: number): void {
    const now = performance.now();
    if (this.downSince !== undefined) {
      const downForMs = Math.round(now - this.downSince);
      this.downSince = undefined;
      this.emit('back', { downForMs });
    }
    if (this.stalledSince !== undefined) {
      const stalledForMs = Math.round(now - this.stalledSince);
      this.stalledSince = undefined;
      this.emit('stall-ended', { stalledForMs });
    }
    const previous = this.last;
    this.last = { sample, mono: now };
    this.emit('state', sample);
    if (!previous) return;
    const before = previous.sample;
    const baseline = { uptimeSeconds: before.uptimeSeconds, atMs: previous.mono };
    if (rebootedSince(baseline, { uptimeSeconds: sample.uptimeSeconds, sentAtMs: sentAtMs ?? now })) {
      this.emit('rebooted', { previousUptimeSeconds: before.uptimeSeconds, uptimeSeconds: sample.uptimeSeconds });
    }
    const from = before.deviceMode.attemptCount;
    const to = sample.deviceMode.attemptCount;
    if (to > from) this.emit('attempt-count-rose', { from, to, sample });
    else if (to < from) this.emit('attempt-count-reset', { from, to, sample });
    if (sample.deviceMode.flagged !== before.deviceMode.flagged) {
      this.emit('flagged-changed', { from: before.deviceMode.flagged, to: sample.deviceMode.flagged, sample });
    }
    if (!sameConfiguration(before.deviceMode, sample.deviceMode)) {
      this.emit('device-mode-changed', { from: before.deviceMode, to: sample.deviceMode });
    }
  }
}
