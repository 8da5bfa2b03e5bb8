/**
 * The operator's standing defaults, so every command need not repeat `--broker --site ...`:
 * command line > environment (DMCONFIRM_BROKER, ...) > settings file > built-in default.
 * The file is `$XDG_CONFIG_HOME/dmconfirm/operator.yaml` (`~/.config/dmconfirm/operator.yaml`),
 * or the one DMCONFIRM_OPERATOR_CONFIG names; its keys are the options' own names.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** `status`: agents offline for longer are listed apart (see --offline-after). */
export const DEFAULT_OFFLINE_AFTER = '1d';

export interface OperatorSetting {
  /** The option's name without dashes, also the file's key: `password-file`. */
  name: string;
  env: string;
  /** A file path: relative ones in the settings file are relative to that file. */
  path?: boolean;
  help: string;
}

export const OPERATOR_SETTINGS: readonly OperatorSetting[] = [
  { name: 'broker', env: 'DMCONFIRM_BROKER', help: 'broker URL (mqtt://, mqtts://)' },
  { name: 'site', env: 'DMCONFIRM_SITE', help: "the agents' site" },
  { name: 'base', env: 'DMCONFIRM_BASE', help: 'MQTT base topic' },
  { name: 'username', env: 'DMCONFIRM_USERNAME', help: 'broker user name' },
  { name: 'password-file', env: 'DMCONFIRM_PASSWORD_FILE', path: true, help: 'broker password file' },
  { name: 'ca', env: 'DMCONFIRM_CA', path: true, help: 'CA certificate for mqtts://' },
  { name: 'cert', env: 'DMCONFIRM_CERT', path: true, help: 'TLS client certificate' },
  { name: 'client-key', env: 'DMCONFIRM_CLIENT_KEY', path: true, help: 'TLS client private key' },
  { name: 'protocol', env: 'DMCONFIRM_PROTOCOL', help: 'MQTT protocol version, 4 or 5' },
  { name: 'connect-timeout', env: 'DMCONFIRM_CONNECT_TIMEOUT', help: 'how long the broker may take' },
  { name: 'offline-after', env: 'DMCONFIRM_OFFLINE_AFTER', help: 'status: agents offline longer are listed apart' },
];

export class OperatorSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorSettingsError';
  }
}

export function operatorSettingsFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DMCONFIRM_OPERATOR_CONFIG) return resolve(env.DMCONFIRM_OPERATOR_CONFIG);
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/')
      ? env.XDG_CONFIG_HOME
      : join(env.HOME ?? homedir(), '.config');
  return join(base, 'dmconfirm', 'operator.yaml');
}

export interface FileSettings {
  file: string;
  exists: boolean;
  values: Map<string, string>;
}

/** The settings file's values (paths made absolute); a missing file is no settings, a bad one an error. */
export function readSettingsFile(
  file: string,
  closest: (key: string, names: string[]) => string | undefined,
): FileSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, values: new Map() };
    throw new OperatorSettingsError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new OperatorSettingsError(`${file}: not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { file, exists: true, values: new Map() };
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new OperatorSettingsError(`${file}: must be a map of settings (broker: mqtt://..., site: ...)`);
  const names = OPERATOR_SETTINGS.map((s) => s.name);
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(doc)) {
    const setting = OPERATOR_SETTINGS.find((s) => s.name === key);
    if (!setting) {
      const guess = closest(key, names);
      throw new OperatorSettingsError(
        `${file}: "${key}" is not a setting; ${guess ? `did you mean "${guess}"?` : `known: ${names.join(', ')}`}`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new OperatorSettingsError(`${file}: ${key} must be a single value`);
    const text = String(value);
    values.set(key, setting.path ? resolve(dirname(file), text) : text);
  }
  return { file, exists: true, values };
}

export type SettingSource = 'command line' | 'environment' | 'settings file' | 'default' | 'not set';

export interface ResolvedSetting {
  name: string;
  value: string | undefined;
  source: SettingSource;
  /** Which variable or file it came from. */
  from?: string;
}

/** Every setting as a command without options would see it (for `config show --operator`). */
export function resolveSettings(
  file: FileSettings,
  env: NodeJS.ProcessEnv,
  defaults: Record<string, string>,
): ResolvedSetting[] {
  return OPERATOR_SETTINGS.map((s) => {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '')
      return { name: s.name, value: fromEnv, source: 'environment', from: s.env };
    const fromFile = file.values.get(s.name);
    if (fromFile !== undefined) return { name: s.name, value: fromFile, source: 'settings file', from: file.file };
    const fallback = defaults[s.name];
    return fallback === undefined
      ? { name: s.name, value: undefined, source: 'not set' }
      : { name: s.name, value: fallback, source: 'default' };
  });
}
