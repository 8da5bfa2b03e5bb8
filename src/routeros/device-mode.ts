/** Device-mode vocabulary as RouterOS 7.x reports it (see shared reference). */

export const DEVICE_MODES = ['advanced', 'basic', 'home', 'rose'] as const;
export type DeviceMode = (typeof DEVICE_MODES)[number];

export const DEVICE_MODE_FEATURES = [
  'scheduler',
  'socks',
  'fetch',
  'pptp',
  'l2tp',
  'bandwidth-test',
  'traffic-gen',
  'sniffer',
  'ipsec',
  'romon',
  'proxy',
  'hotspot',
  'smb',
  'email',
  'zerotier',
  'container',
  'install-any-version',
  'partitions',
  'routerboard',
] as const;
export type DeviceModeFeature = (typeof DEVICE_MODE_FEATURES)[number];

/** Features each mode disables; everything else is allowed. */
export const MODE_DISABLED: Record<DeviceMode, readonly DeviceModeFeature[]> = {
  advanced: ['traffic-gen', 'container', 'install-any-version', 'partitions', 'routerboard'],
  basic: [
    'socks',
    'bandwidth-test',
    'traffic-gen',
    'proxy',
    'hotspot',
    'zerotier',
    'container',
    'install-any-version',
    'partitions',
    'routerboard',
  ],
  home: [
    'scheduler',
    'socks',
    'fetch',
    'bandwidth-test',
    'traffic-gen',
    'sniffer',
    'romon',
    'proxy',
    'hotspot',
    'email',
    'zerotier',
    'container',
    'install-any-version',
    'partitions',
    'routerboard',
  ],
  rose: ['traffic-gen', 'install-any-version', 'partitions', 'routerboard'],
};

/** The feature values a mode implies before any per-feature override. */
export function modeDefaults(mode: DeviceMode): Record<DeviceModeFeature, boolean> {
  const disabled = new Set(MODE_DISABLED[mode]);
  return Object.fromEntries(DEVICE_MODE_FEATURES.map((f) => [f, !disabled.has(f)])) as Record<
    DeviceModeFeature,
    boolean
  >;
}

/** What a device-mode update asks for: a mode (replacing everything) and/or feature values. */
export interface DeviceModeChange {
  mode?: DeviceMode;
  features?: Partial<Record<DeviceModeFeature, boolean>>;
  flagged?: false;
}

/** The device-mode as read back from a router. */
export interface DeviceModeState {
  mode: DeviceMode;
  features: Record<DeviceModeFeature, boolean>;
  flagged: boolean;
  flaggingEnabled: boolean;
  allowedVersions: string;
  attemptCount: number;
}

/** Parses a RouterOS boolean: the API says true/false, the CLI yes/no. */
export function parseRosBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'yes') return true;
  if (v === 'false' || v === 'no') return false;
  return undefined;
}

/** The state a change leads to from a given state (mode= replaces overrides). */
export function applyChange(state: Pick<DeviceModeState, 'mode' | 'features' | 'flagged'>, change: DeviceModeChange) {
  const mode = change.mode ?? state.mode;
  const base = change.mode ? modeDefaults(change.mode) : { ...state.features };
  const features = { ...base, ...change.features } as Record<DeviceModeFeature, boolean>;
  const flagged = change.flagged === false ? false : state.flagged;
  return { mode, features, flagged };
}
