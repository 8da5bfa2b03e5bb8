import type { DeviceMode } from '../routeros/device-mode.js';

/** What a simulated model looks like from the API, and which device-mode it ships in. */
export interface ModelProfile {
  /** `/system/routerboard` model (absent for CHR). */
  model: string;
  boardName: string;
  architecture: string;
  /** Factory device-mode from RouterOS 7.17 (reference: CCR/1100 advanced, home routers home, others basic, RDS rose).
   * */
  defaultMode: DeviceMode;
  /** CHR has no routerboard menu; it identifies by license system-id. */
  routerboard: boolean;
  /** A separate mode button besides reset (affects nothing in the simulator but is reported in /state). */
  modeButton: boolean;
  firmwareType?: string;
  /** PoE-out ports, for switch profiles. */
  poePorts?: readonly string[];
}

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

export const PROFILES = {
  'hAP-ax3': {
    model: 'C53UiG+5HPaxD2HPaxD',
    boardName: 'hAP ax^3',
    architecture: 'arm64',
    defaultMode: 'home',
    routerboard: true,
    modeButton: true,
    firmwareType: 'ipq6000',
  },
  'hAP-ac2': {
    model: 'RBD52G-5HacD2HnD',
    boardName: 'hAP ac^2',
    architecture: 'arm',
    defaultMode: 'home',
    routerboard: true,
    modeButton: true,
    firmwareType: 'ipq4000L',
  },
  hEX: {
    model: 'RB750Gr3',
    boardName: 'hEX',
    architecture: 'mmips',
    defaultMode: 'basic',
    routerboard: true,
    modeButton: true,
    firmwareType: 'mt7621L',
  },
  RB5009: {
    model: 'RB5009UG+S+',
    boardName: 'RB5009UG+S+',
    architecture: 'arm64',
    defaultMode: 'basic',
    routerboard: true,
    modeButton: false,
    firmwareType: 'mvebu',
  },
  CCR2004: {
    model: 'CCR2004-1G-12S+2XS',
    boardName: 'CCR2004-1G-12S+2XS',
    architecture: 'arm64',
    defaultMode: 'advanced',
    routerboard: true,
    modeButton: false,
    firmwareType: 'al',
  },
  RB1100: {
    model: 'RB1100Dx4',
    boardName: 'RB1100Dx4',
    architecture: 'arm',
    defaultMode: 'advanced',
    routerboard: true,
    modeButton: false,
    firmwareType: 'al',
  },
  RDS2216: {
    model: 'RDS2216-2XG-4S+4XS-2XQ',
    boardName: 'RDS2216-2XG-4S+4XS-2XQ',
    architecture: 'arm64',
    defaultMode: 'rose',
    routerboard: true,
    modeButton: false,
    firmwareType: 'an7581',
  },
  CHR: {
    model: 'CHR',
    boardName: 'CHR',
    architecture: 'x86_64',
    defaultMode: 'advanced',
    routerboard: false,
    modeButton: false,
  },
  'CRS328-24P': {
    model: 'CRS328-24P-4S+',
    boardName: 'CRS328-24P-4S+',
    architecture: 'arm',
    defaultMode: 'basic',
    routerboard: true,
    modeButton: false,
    firmwareType: 'dx3230L',
    poePorts: range(24, 'ether'),
  },
} as const satisfies Record<string, ModelProfile>;

export type ModelName = keyof typeof PROFILES;
export const MODEL_NAMES = Object.keys(PROFILES) as ModelName[];

export function profileFor(name: string): ModelProfile {
  const profile = (PROFILES as Record<string, ModelProfile>)[name];
  if (!profile) throw new Error(`unknown simulated model "${name}" (known: ${MODEL_NAMES.join(', ')})`);
  return profile;
}

/** Compares RouterOS versions like `7.18`, `7.22.1`, `7.19beta2` numerically (pre-release suffix ignored). */
export function versionAtLeast(version: string, wanted: string): boolean {
  const parts = (v: string) =>
    v
      .split(/[^0-9]+/)
      .filter(Boolean)
      .map(Number);
  const a = parts(version);
  const b = parts(wanted);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * The factory mode for a model at a RouterOS version: devices on releases before 7.17
 * are `advanced` (the mode every device had before the new defaults).
 */
export function factoryMode(profile: ModelProfile, version: string): DeviceMode {
  return versionAtLeast(version, '7.17') ? profile.defaultMode : 'advanced';
}
