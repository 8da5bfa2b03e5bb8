import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.js';
import { runPairing } from '../../pairing/pair.js';
import { CliError } from '../cli-error.js';
import { agentConfigOption } from '../agent-config-option.js';

export function registerPair(program: Command): void {
  program
    .command('pair')
    .description(
      'Read each configured router, show its identity and device-mode, ' +
        'and record it as the paired unit (stop the agent first)',
    )
    .addOption(agentConfigOption())
    .option('--accept', 're-pair a router whose unit differs from the recorded one (a replaced router); audited')
    .action(async (flags: { config: string; accept?: boolean }) => {
      let config;
      try {
        config = loadConfig(flags.config).config;
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, 2);
        throw error;
      }
      const { exitCode, outcomes } = await runPairing(config, {
        configFile: flags.config,
        accept: flags.accept ?? false,
        print: (line) => console.log(line),
      });
      if (outcomes.some((o) => o.action === 'record' || o.action === 're-pair'))
        console.log('the agent reads pairings at start: if it is running, sudo systemctl restart dmconfirm-agent');
      process.exitCode = exitCode;
    });
}
