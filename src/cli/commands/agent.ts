import type { Command } from 'commander';
import { runAgent } from '../../agent/launcher.js';
import { agentConfigOption } from '../agent-config-option.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('Run the dmconfirm daemon (under systemd: Type=notify with watchdog)')
    .addOption(agentConfigOption())
    .action(async (options: { config: string }) => {
      const code = await runAgent(options.config);
      // The daemon's end: whatever library handles remain, the launcher decided we are done.
      process.exit(code);
    });
}
