#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { commandsFor } from './commands/index.js';
import { CliError } from './cli-error.js';
import { TopicError } from '../mqtt/topics.js';
import { conciseUsageErrors, exitCodeOf } from './usage.js';
import { refuseBlankValues } from './blank-values.js';
import { operatorSettingUsers } from './operator-options.js';
import { PACKAGE_VERSION } from '../package-info.js';

const program = new Command();
program
  .name('dmconfirm')
  .description('Confirm MikroTik RouterOS device-mode changes at unattended sites, only with signed approval')
  .version(PACKAGE_VERSION);

// Only the command being run is loaded (see commandsFor); help and unknown names load all.
for (const register of await commandsFor(process.argv.slice(2))) register(program);
conciseUsageErrors(program);
refuseBlankValues(program);
// Standing operator settings (environment, settings file) are read and checked only for commands that take them:
// the daemon never loads that code.
if (operatorSettingUsers(program).length > 0) (await import('./operator-defaults.js')).applyOperatorSettings(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = exitCodeOf(error);
  } else if (error instanceof TopicError) {
    // A value from an option that would reshape an MQTT topic: say it under the option's name.
    console.error(`dmconfirm: ${(await import('./setting-checks.js')).topicErrorLine(error)}`);
    process.exitCode = 2;
  } else if (error instanceof CliError) {
    console.error(`dmconfirm: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    console.error('dmconfirm: unexpected error:', error);
    process.exitCode = 1;
  }
}
