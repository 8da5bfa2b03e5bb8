import {
  DEVICE_MODE_FEATURES,
  DEVICE_MODES,
  modeDefaults,
  parseRosBool,
  type DeviceMode,
  type DeviceModeChange,
  type DeviceModeFeature,
  type DeviceModeState,
} from './device-mode.js';
import type { Row } from './connection.js';
import { parseRosDuration } from './duration.js';

/** A reply the router sent that does not mean what we expect; the text says which field. */
export class RouterReplyError extends Error {
  override readonly name = 'RouterReplyError';
}

/** `/system/device-mode/print`: accepts true/false and yes/no, and `enterprise` as `advanced`. */
export function parseDeviceMode(row: Row): DeviceModeState {
  const rawMode = (row.mode ?? '').trim().toLowerCase();
  const mode = (rawMode === 'enterprise' ? 'advanced' : rawMode) as DeviceMode;
  if (!DEVICE_MODES.includes(mode)) throw new RouterReplyError(`device-mode: unknown mode "${row.mode ?? ''}"`);
  const defaults = modeDefaults(mode);
  const features = {} as Record<DeviceModeFeature, boolean>;
  for (const feature of DEVICE_MODE_FEATURES) {
    // Older releases do not list every feature; such a feature follows its mode.
    features[feature] = row[feature] === undefined ? defaults[feature] : bool(row, feature);
  }
  const attempts = Number((row['attempt-count'] ?? '0').trim());
  if (!Number.isInteger(attempts) || attempts < 0)
    throw new RouterReplyError(`device-mode: bad attempt-count "${row['attempt-count']}"`);
  return {
    mode,
    features,
    flagged: row.flagged === undefined ? false : bool(row, 'flagged'),
    flaggingEnabled: row['flagging-enabled'] === undefined ? true : bool(row, 'flagging-enabled'),
    allowedVersions: row['allowed-versions'] ?? '',
    attemptCount: attempts,
  };
}

function bool(row: Row, key: string): boolean {
  const value = parseRosBool(row[key]);
  if (value === undefined) throw new RouterReplyError(`device-mode: "${key}" is "${row[key]}", not a boolean`);
  return value;
}

/** A command path and its `=key=value` attributes as API words (booleans as yes/no). */
export function apiWords(path: string, params: Record<string, string | number | boolean | undefined> = {}): string[] {
  const words = [path];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    words.push(`=${key}=${typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)}`);
  }
  return words;
}

/** The API words of `/system/device-mode/update` for a change. */
export function updateWords(change: DeviceModeChange, activationTimeoutSeconds: number): string[] {
  const words = ['/system/device-mode/update'];
  if (change.mode) words.push(`=mode=${change.mode}`);
  for (const [feature, on] of Object.entries(change.features ?? {})) {
    if (on !== undefined) words.push(`=${feature}=${on ? 'yes' : 'no'}`);
  }
  if (change.flagged === false) words.push('=flagged=no');
  words.push(`=activation-timeout=${Math.round(activationTimeoutSeconds)}s`);
  return words;
}

/** True when a state read back carries everything the change asked for (mode= resets the rest). */
export function changeApplied(
  before: Pick<DeviceModeState, 'mode' | 'features' | 'flagged'>,
  change: DeviceModeChange,
  after: DeviceModeState,
): boolean {
  const mode = change.mode ?? before.mode;
  const base = change.mode ? modeDefaults(change.mode) : before.features;
  const expected = { ...base, ...change.features };
  if (after.mode !== mode) return false;
  if (change.flagged === false && after.flagged) return false;
  return DEVICE_MODE_FEATURES.every((f) => after.features[f] === expected[f]);
}

/** Two device-mode readings differ in mode or any feature (attempt-count and flags aside). */
export function sameConfiguration(a: DeviceModeState, b: DeviceModeState): boolean {
  return a.mode === b.mode && DEVICE_MODE_FEATURES.every((f) => a.features[f] === b.features[f]);
}

/** A RouterOS duration in a reply, in seconds (uptimes). */
function durationSeconds(text: string): number {
  const ms = parseRosDuration(text);
  if (ms === undefined) throw new RouterReplyError(`not a RouterOS duration: "${text}"`);
  return ms / 1000;
}

export interface RouterResource {
  uptimeSeconds: number;
  version: string;
  boardName: string;
  architecture: string;
}

/** `/system/resource/print`. */
export function parseResource(row: Row): RouterResource {
  if (row.uptime === undefined) throw new RouterReplyError('resource: no uptime');
  return {
    uptimeSeconds: durationSeconds(row.uptime),
    version: row.version ?? '',
    boardName: row['board-name'] ?? '',
    architecture: row['architecture-name'] ?? '',
  };
}

export interface RouterIdentity {
  /** `/system/identity` name. */
  name: string;
  /** Routerboard model; absent on CHR. */
  model?: string;
  /** Routerboard serial number; absent on CHR. */
  serial?: string;
  /** CHR license system-id (routers without a routerboard). */
  systemId?: string;
  /** Routerboard current-firmware. */
  firmware?: string;
  version: string;
  boardName: string;
  architecture: string;
}

/** Combines identity, resource, and routerboard or license rows into one identity. */
export function parseIdentity(
  identity: Row,
  resource: Row,
  routerboard: Row | undefined,
  license: Row | undefined,
): RouterIdentity {
  const res = parseResource(resource);
  const out: RouterIdentity = {
    name: identity.name ?? '',
    version: res.version,
    boardName: res.boardName,
    architecture: res.architecture,
  };
  if (routerboard?.model) out.model = routerboard.model;
  if (routerboard?.['serial-number']) out.serial = routerboard['serial-number'];
  if (routerboard?.['current-firmware']) out.firmware = routerboard['current-firmware'];
  if (license?.['system-id']) out.systemId = license['system-id'];
  return out;
}
