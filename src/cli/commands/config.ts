import type { Command } from 'commander';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../config/load.js';
import { configSchema } from '../../config/schema.js';
import { CliError } from '../cli-error.js';

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
        if (loaded.envOverrides.length > 0) console.log(`# overridden from environment: ${loaded.envOverrides.join(', ')}`);
        process.stdout.write(stringify(effective));
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, 2);
        throw error;
      }
    });

  config
    .command('schema')
    .description('Print the configuration JSON Schema (types, defaults, descriptions)')
    .action(() => {
      console.log(JSON.stringify(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }), null, 2));
    });
}
