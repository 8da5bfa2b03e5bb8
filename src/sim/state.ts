import type { DeviceModeFeature } from '../routeros/device-mode.js';
import type { DeviceModeEngine, SimChange } from './device-mode-engine.js';
import type { InjectedFaults, InjectedFaultsState } from './faults.js';
import type { Fault, Phase } from './physical.js';
import type { PoePorts } from './poe.js';
import type { ModelProfile } from './profiles.js';
import { formatRosDuration } from '../routeros/duration.js';
import { displayWireText } from './wire-text.js';

/** What `GET /state` and `router.state()` report: the physical world and device-mode in one view. */
export interface SimState {
  model: string;
  boardName: string;
  identity: string;
  routerosVersion: string;
  power: 'on' | 'off';
  phase: Phase;
  booted: boolean;
  uptimeMs: number;
  uptime: string;
  button: { down: boolean };
  pending: { id: number; change: SimChange; timeoutMs: number; remainingMs: number } | null;
  deviceMode: {
    mode: string;
    features: Record<DeviceModeFeature, boolean>;
    flagged: boolean;
    flaggingEnabled: boolean;
    attemptCount: number;
  };
  attemptCount: number;
  faults: Fault[];
  /** TEST ONLY faults switched on (POST /faults). */
  injected: InjectedFaultsState;
  ports: { api?: number; apiSsl?: number };
  tlsFingerprint256?: string;
  poe?: Record<string, { poeOut: string; status: string; powering?: string }>;
}

/** What a snapshot reads of the device (the simulated router implements it). */
export interface StateSource {
  readonly modelName: string;
  readonly profile: ModelProfile;
  readonly identity: string;
  readonly routerosVersion: string;
  readonly powered: boolean;
  readonly phase: Phase;
  readonly booted: boolean;
  readonly uptimeMs: number;
  readonly buttonDown: boolean;
  readonly deviceMode: DeviceModeEngine;
  readonly faults: readonly Fault[];
  readonly injected: InjectedFaults;
  readonly apiPort: number;
  readonly apiSslPort: number;
  readonly tlsFingerprint256: string | undefined;
  readonly poe: PoePorts | undefined;
}

export function snapshot(r: StateSource): SimState {
  const dm = r.deviceMode;
  const pending = dm.pending;
  const ports: SimState['ports'] = {};
  try {
    ports.api = r.apiPort;
  } catch {
    /* not started */
  }
  try {
    ports.apiSsl = r.apiSslPort;
  } catch {
    /* no TLS */
  }
  return {
    model: r.modelName,
    boardName: r.profile.boardName,
    identity: displayWireText(r.identity),
    routerosVersion: r.routerosVersion,
    power: r.powered ? 'on' : 'off',
    phase: r.phase,
    booted: r.booted,
    uptimeMs: Math.round(r.uptimeMs),
    uptime: formatRosDuration(r.uptimeMs),
    button: { down: r.buttonDown },
    pending: pending
      ? {
          id: pending.id,
          change: pending.change,
          timeoutMs: pending.timeoutMs,
          remainingMs: Math.round(dm.remainingMs() ?? 0),
        }
      : null,
    deviceMode: {
      mode: dm.mode,
      features: dm.features,
      flagged: dm.flagged,
      flaggingEnabled: dm.flaggingEnabled,
      attemptCount: dm.attemptCount,
    },
    attemptCount: dm.attemptCount,
    faults: [...r.faults],
    injected: r.injected.state(),
    ports,
    ...(r.tlsFingerprint256 ? { tlsFingerprint256: r.tlsFingerprint256 } : {}),
    ...(r.poe ? { poe: r.poe.summary() } : {}),
  };
}
