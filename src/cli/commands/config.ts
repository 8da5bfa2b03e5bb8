import type { Command } from 'commander';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../config/load.js';
import { configSchema } from '../../config/schema.js';
import { CliError } from '../cli-error.js';
import { DEFAULT_BASE_TOPIC } from '../../mqtt/contract.js';
import { DEFAULT_OFFLINE_AFTER, OPERATOR_SETTINGS, resolveSettings } from '../../operator/settings.js';
import { checkSetting } from '../setting-checks.js';
import { loadSettingsFile } from '../operator-defaults.js';

/** What the operator commands use when no option is given, and where each value comes from. */
function showOperatorSettings(): void {
  const file = loadSettingsFile();
  if (file instanceof Error) throw new CliError(file.message, 2);
  console.log(
    `# operator settings: command line > environment > ${file.file}${file.exists ? '' : ' (no such file)'} > default`,
  );
  const defaults = {
    base: DEFAULT_BASE_TOPIC,
    protocol: '5',
    'connect-timeout': '10s',
    'offline-after': DEFAULT_OFFLINE_AFTER,
  };
  const rows = resolveSettings(file, process.env, defaults);
  const width = Math.max(...rows.map((r) => r.name.length));
  const valueWidth = Math.max(...rows.map((r) => (r.value ?? '-').length));
  for (const r of rows) {
    const from =
      r.source === 'environment' ? `environment ${r.from}` : r.source === 'settings file' ? 'settings file' : r.source;
    console.log(`${r.name.padEnd(width)}  ${(r.value ?? '-').padEnd(valueWidth)}  ${from}`);
  }
  // What a command would refuse (an empty variable too, which the table shows as unset).
  const problems: string[] = [];
  for (const setting of OPERATOR_SETTINGS) {
    const fromEnv = process.env[setting.env];
    const fromFile = file.values.get(setting.name);
    try {
      if (fromEnv !== undefined) checkSetting(setting, fromEnv, { kind: 'env', variable: setting.env });
      else if (fromFile !== undefined)
        checkSetting(setting, fromFile, { kind: 'file', file: file.file, key: setting.name });
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new CliError(problems.join('\ndmconfirm: '), 2);
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Validate and inspect agent configuration');

  config
    .command('check')
    .argument('<file>', 'agent configuration (YAML)')
    .description('Validate a configuration and print the effective one, secrets masked')
    .action((file: string) => {
      try {
        const loaded = loadConfig(file);
        // Secrets serialize as "[secret from ...]", never their value.
        const effective = JSON.parse(JSON.stringify(loaded.config)) as unknown;
        console.log(`# ${loaded.file}: valid`);
        if (loaded.envOverrides.length > 0)
          console.log(`# overridden from environment: ${loaded.envOverrides.join(', ')}`);
        process.stdout.write(stringify(effective));
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, 2);
        throw error;
      }
    });

  config
    .command('show')
    .description(
      "Show settings: --operator for the operator commands' defaults (broker, site, TLS files) and their sources",
    )
    .option('--operator', 'the operator settings (environment DMCONFIRM_*, ~/.config/dmconfirm/operator.yaml)')
    .action((o: { operator?: boolean }) => {
      if (!o.operator)
        throw new CliError('config show needs --operator (for an agent configuration: dmconfirm config check FILE)', 2);
      showOperatorSettings();
    });

  config
    .command('schema')
    .description('Print the configuration JSON Schema (types, defaults, descriptions)')
    .action(() => {
      console.log(JSON.stringify(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }), null, 2));
    });
}
