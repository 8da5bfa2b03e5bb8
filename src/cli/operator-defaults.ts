import type { Command } from 'commander';
import {
  operatorSettingsFile,
  OPERATOR_SETTINGS,
  OperatorSettingsError,
  readSettingsFile,
} from '../operator/settings.js';
import type { FileSettings } from '../operator/settings.js';
import { CliError } from './cli-error.js';
import { closest } from '../text/did-you-mean.js';
import { checkSetting, describeOrigin } from './setting-checks.js';
import type { Origin } from './setting-checks.js';
import { operatorSettingUsers } from './operator-options.js';

/** Where the running command's standing settings came from, by setting name (filled before its action). */
const origins = new Map<string, Origin>();

/** " (the value comes from DMCONFIRM_CA)" for a setting not typed on the command line, else "". */
export function originNote(name: string): string {
  const origin = origins.get(name);
  const from = origin ? describeOrigin(origin) : undefined;
  return from ? ` (the value comes from ${from})` : '';
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The settings file, read once; a broken one is reported only by a command that uses it. */
export function loadSettingsFile(env: NodeJS.ProcessEnv = process.env): FileSettings | OperatorSettingsError {
  // A file named on purpose must be there: a typo would otherwise drop every standing setting unseen.
  const named = env.DMCONFIRM_OPERATOR_CONFIG;
  if (named !== undefined && named.trim() === '')
    return new OperatorSettingsError('DMCONFIRM_OPERATOR_CONFIG is empty; give it a file or remove it');
  try {
    const file = readSettingsFile(operatorSettingsFile(env), closest);
    if (named !== undefined && !file.exists)
      return new OperatorSettingsError(`${file.file}: no such file (named by DMCONFIRM_OPERATOR_CONFIG)`);
    return file;
  } catch (error) {
    if (error instanceof OperatorSettingsError) return error;
    throw error;
  }
}

/**
 * Gives every registered command's operator options (`--broker`, `--site`, TLS files, ...)
 * their environment variable and the settings file's value, so the command line wins over
 * the environment, which wins over the file, which wins over the built-in default. Records
 * whether --broker was typed (`explicitBroker`): a standing default broker alone never makes
 * a signing command publish.
 */
export function applyOperatorSettings(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  const users = operatorSettingUsers(program);
  if (users.length === 0) return;
  const file = loadSettingsFile(env);
  for (const command of users) {
    if (file instanceof OperatorSettingsError) {
      command.hook('preAction', () => {
        throw new CliError(file.message, 2);
      });
      continue;
    }
    for (const setting of OPERATOR_SETTINGS) {
      const option = command.options.find((o) => o.long === `--${setting.name}`);
      if (!option) continue;
      // Commander listens for an option's variable only when it is set before the option is
      // added; these options exist already, so listen here (commander still decides priority).
      option.env(setting.env);
      command.on(`optionEnv:${option.name()}`, (value: string) =>
        command.setOptionValueWithSource(camel(setting.name), value, 'env'),
      );
      const value = file.values.get(setting.name);
      if (value !== undefined) command.setOptionValueWithSource(camel(setting.name), value, 'config');
    }
    command.hook('preAction', (_, action) => {
      action.setOptionValue('explicitBroker', action.getOptionValueSource('broker') === 'cli');
      for (const setting of OPERATOR_SETTINGS) {
        const key = camel(setting.name);
        const value: unknown = action.getOptionValue(key);
        const source = action.getOptionValueSource(key);
        if (typeof value !== 'string') continue;
        const origin: Origin | undefined =
          source === 'env'
            ? { kind: 'env', variable: setting.env }
            : source === 'config'
              ? { kind: 'file', file: file.file, key: setting.name }
              : source === 'cli'
                ? { kind: 'cli' }
                : undefined;
        if (!origin) continue;
        origins.set(setting.name, origin);
        checkSetting(setting, value, origin);
      }
    });
  }
}
