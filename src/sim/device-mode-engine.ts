import {
  DEVICE_MODES,
  DEVICE_MODE_FEATURES,
  modeDefaults,
  type DeviceMode,
  type DeviceModeFeature,
} from '../routeros/device-mode.js';
import { RosTrap, TRAP_CATEGORY } from './errors.js';
import { formatRosDuration, parseRosDuration } from '../routeros/duration.js';
import type { SimClock } from './time.js';

/** A requested device-mode change as the simulator stores it until confirmation. */
export interface SimChange {
  mode?: DeviceMode;
  features?: Partial<Record<DeviceModeFeature, boolean>>;
  flagged?: false;
  flaggingEnabled?: boolean;
}

/** How a pending update ended for the caller waiting on it. */
export type UpdateOutcome =
  | 'confirmed' // physical confirmation: the device reboots, the caller's connection drops
  | 'canceled' // activation timeout or a conflicting update: `!trap update canceled`
  | 'dropped'; // reboot or power loss without confirmation: the connection is gone anyway

export interface PendingUpdate {
  readonly id: number;
  readonly change: SimChange;
  readonly sessionId: number;
  readonly requestedAt: number;
  readonly timeoutMs: number;
}

export interface DeviceModeInit {
  mode?: DeviceMode;
  features?: Partial<Record<DeviceModeFeature, boolean>>;
  flagged?: boolean;
  flaggingEnabled?: boolean;
  attemptCount?: number;
  allowedVersions?: string;
}

export type DeviceModeEvent =
  | { type: 'update-requested'; pending: PendingUpdate; attemptCount: number }
  | {
      type: 'update-canceled';
      pending: PendingUpdate;
      reason: 'timeout' | 'conflict' | 'abandoned' | 'reboot' | 'power-loss';
    }
  | { type: 'update-confirmed'; pending: PendingUpdate }
  | { type: 'applied'; change: SimChange }
  | { type: 'attempt-limit-reset' };

export const ACTIVATION_TIMEOUT = { min: 10_000, max: 86_400_000, default: 300_000 } as const;
export const MAX_ATTEMPTS = 3;
const SETTABLE = new Set<string>([
  'mode',
  'flagged',
  'flagging-enabled',
  'activation-timeout',
  ...DEVICE_MODE_FEATURES,
]);

function parseBool(key: string, value: string): boolean {
  if (value === 'yes' || value === 'true') return true;
  if (value === 'no' || value === 'false') return false;
  throw new RosTrap(`input does not match any value of ${key}`, TRAP_CATEGORY.argumentValue);
}

/** Validates update arguments at once, the way RouterOS refuses bad input without waiting. */
export function parseUpdate(attrs: Record<string, string>): { change: SimChange; timeoutMs: number } {
  const change: SimChange = {};
  let timeoutMs: number = ACTIVATION_TIMEOUT.default;
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('.')) continue;
    if (!SETTABLE.has(key)) throw new RosTrap(`unknown parameter ${key}`, TRAP_CATEGORY.argumentValue);
    if (key === 'mode') {
      const mode = value === 'enterprise' ? 'advanced' : value;
      if (!(DEVICE_MODES as readonly string[]).includes(mode)) {
        throw new RosTrap('input does not match any value of mode', TRAP_CATEGORY.argumentValue);
      }
      change.mode = mode as DeviceMode;
    } else if (key === 'flagged') {
      if (parseBool(key, value)) throw new RosTrap('flagged can only be cleared', TRAP_CATEGORY.argumentValue);
      change.flagged = false;
    } else if (key === 'flagging-enabled') {
      change.flaggingEnabled = parseBool(key, value);
    } else if (key === 'activation-timeout') {
      const ms = parseRosDuration(value);
      if (ms === undefined)
        throw new RosTrap('input does not match any value of activation-timeout', TRAP_CATEGORY.argumentValue);
      if (ms < ACTIVATION_TIMEOUT.min || ms > ACTIVATION_TIMEOUT.max) {
        throw new RosTrap(
          'value of activation-timeout out of range (00:00:10..1d00:00:00)',
          TRAP_CATEGORY.argumentValue,
        );
      }
      timeoutMs = ms;
    } else {
      (change.features ??= {})[key as DeviceModeFeature] = parseBool(key, value);
    }
  }
  if (
    change.mode === undefined &&
    change.features === undefined &&
    change.flagged === undefined &&
    change.flaggingEnabled === undefined
  ) {
    throw new RosTrap('nothing to update', TRAP_CATEGORY.argumentValue);
  }
  return { change, timeoutMs };
}

/**
 * The device-mode settings item: configured values, the attempt counter, and at most one
 * pending change that only physical confirmation applies (at the next boot).
 */
export class DeviceModeEngine {
  mode: DeviceMode;
  private modeExplicit: boolean;
  private overrides: Partial<Record<DeviceModeFeature, boolean>>;
  flagged: boolean;
  flaggingEnabled: boolean;
  private flaggingExplicit = false;
  attemptCount: number;
  readonly allowedVersions: string;
  private pendingUpdate: { info: PendingUpdate; timer: NodeJS.Timeout; settle: (o: UpdateOutcome) => void } | undefined;
  private confirmed: SimChange | undefined;
  private idleWaiters: Array<() => void> = [];
  private nextId = 1;

  constructor(
    private readonly clock: SimClock,
    factoryMode: DeviceMode,
    init: DeviceModeInit,
    private readonly emit: (event: DeviceModeEvent) => void,
    /** 'at-end': an attempt counts when it ends unconfirmed (timeout, cancel, reboot), not at the request. */
    private readonly attemptsRise: 'at-request' | 'at-end' = 'at-request',
  ) {
    this.mode = init.mode ?? factoryMode;
    this.modeExplicit = init.mode !== undefined;
    this.overrides = { ...init.features };
    this.flagged = init.flagged ?? false;
    this.flaggingEnabled = init.flaggingEnabled ?? true;
    this.attemptCount = init.attemptCount ?? 0;
    this.allowedVersions = init.allowedVersions ?? '7.13+,6.49.8+';
  }

  get features(): Record<DeviceModeFeature, boolean> {
    return { ...modeDefaults(this.mode), ...this.overrides };
  }

  get pending(): PendingUpdate | undefined {
    return this.pendingUpdate?.info;
  }

  /** Simulated ms left before the pending change is cancelled. */
  remainingMs(): number | undefined {
    const p = this.pendingUpdate?.info;
    return p ? Math.max(0, p.requestedAt + p.timeoutMs - this.clock.now()) : undefined;
  }

  printRow(): Record<string, string> {
    const features = this.features;
    return {
      mode: this.mode,
      'allowed-versions': this.allowedVersions,
      flagged: String(this.flagged),
      'flagging-enabled': String(this.flaggingEnabled),
      ...Object.fromEntries(DEVICE_MODE_FEATURES.map((f) => [f, String(features[f])])),
      'attempt-count': String(this.attemptCount),
    };
  }

  /** `print config`: only values set explicitly. */
  printConfigRow(): Record<string, string> {
    const row: Record<string, string> = {};
    if (this.modeExplicit) row.mode = this.mode;
    if (this.flaggingExplicit) row['flagging-enabled'] = String(this.flaggingEnabled);
    for (const f of DEVICE_MODE_FEATURES) if (this.overrides[f] !== undefined) row[f] = String(this.overrides[f]);
    return row;
  }

  /** Starts a pending change; resolves when it ends. Refusals (attempt limit) throw at once. */
  request(change: SimChange, timeoutMs: number, sessionId: number): Promise<UpdateOutcome> {
    if (this.attemptCount >= MAX_ATTEMPTS) throw new RosTrap('too many unsuccessful attempts', TRAP_CATEGORY.general);
    if (this.attemptsRise === 'at-request') this.attemptCount += 1;
    const info: PendingUpdate = { id: this.nextId++, change, sessionId, requestedAt: this.clock.now(), timeoutMs };
    this.emit({ type: 'update-requested', pending: info, attemptCount: this.attemptCount });
    if (this.pendingUpdate) {
      // Two updates at once: RouterOS cancels both.
      if (this.attemptsRise === 'at-end') this.attemptCount += 1;
      this.cancel('conflict');
      this.emit({ type: 'update-canceled', pending: info, reason: 'conflict' });
      return Promise.resolve('canceled');
    }
    return new Promise<UpdateOutcome>((resolve) => {
      const timer = this.clock.setTimeout(() => this.cancel('timeout'), timeoutMs);
      this.pendingUpdate = { info, timer, settle: resolve };
    });
  }

  /** Ends the pending change without applying it. */
  cancel(reason: 'timeout' | 'conflict' | 'abandoned' | 'reboot' | 'power-loss'): void {
    const p = this.pendingUpdate;
    if (!p) return;
    this.clear();
    if (this.attemptsRise === 'at-end') this.attemptCount += 1;
    this.emit({ type: 'update-canceled', pending: p.info, reason });
    p.settle(reason === 'reboot' || reason === 'power-loss' ? 'dropped' : 'canceled');
  }

  /** Power is gone: the activation timeout stops; power-on decides (confirm or cancel). */
  suspend(): void {
    if (this.pendingUpdate) this.clock.clearTimeout(this.pendingUpdate.timer);
  }

  /** Physical confirmation: the pending change is applied at the next boot. */
  confirm(): boolean {
    const p = this.pendingUpdate;
    if (!p) return false;
    this.clear();
    this.confirmed = p.info.change;
    this.emit({ type: 'update-confirmed', pending: p.info });
    p.settle('confirmed');
    return true;
  }

  /**
   * TEST ONLY: a compromised router whose pending change is not what was requested (its
   * admin swapped it); confirmation then applies `change`. False when nothing is pending.
   */
  replacePendingChange(change: SimChange): boolean {
    const p = this.pendingUpdate;
    if (!p) return false;
    p.info = { ...p.info, change };
    return true;
  }

  /** A physical action (button, cold boot) lifts the attempt limit. */
  resetAttempts(): void {
    if (this.attemptCount === 0) return;
    this.attemptCount = 0;
    this.emit({ type: 'attempt-limit-reset' });
  }

  /** At boot: apply a confirmed change; a cold boot also counts as physical confirmation. */
  boot(cold: boolean, tampered: boolean): void {
    const change = this.confirmed;
    this.confirmed = undefined;
    if (change) {
      this.apply(change);
      this.resetAttempts();
    }
    if (cold) this.resetAttempts();
    if (tampered && this.flaggingEnabled) this.flagged = true;
  }

  /** Resolves when no change is pending (for sessions that stall while one is). */
  whenIdle(): Promise<void> {
    if (!this.pendingUpdate) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  describePending(): Record<string, string | number> | undefined {
    const p = this.pendingUpdate?.info;
    if (!p) return undefined;
    return { id: p.id, remaining: formatRosDuration(this.remainingMs() ?? 0), timeoutMs: p.timeoutMs };
  }

  private apply(change: SimChange): void {
    if (change.mode) {
      this.mode = change.mode;
      this.modeExplicit = true;
      this.overrides = { ...change.features };
    } else if (change.features) {
      this.overrides = { ...this.overrides, ...change.features };
    }
    if (change.flagged === false) this.flagged = false;
    if (change.flaggingEnabled !== undefined) {
      this.flaggingEnabled = change.flaggingEnabled;
      this.flaggingExplicit = true;
    }
    this.emit({ type: 'applied', change });
  }

  private clear(): void {
    if (this.pendingUpdate) this.clock.clearTimeout(this.pendingUpdate.timer);
    this.pendingUpdate = undefined;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
