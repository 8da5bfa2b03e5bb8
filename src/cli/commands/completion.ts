import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { bashCompletion, fishCompletion, zshCompletion } from '../completion.js';
import { notOneOf } from '../../text/did-you-mean.js';
import { commandGroups } from './index.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description('Print a shell completion script: source <(dmconfirm completion bash)')
    .action(async (shell: string) => {
      const generate = SHELLS[shell as keyof typeof SHELLS];
      if (!generate) throw new CliError(notOneOf(shell, 'a shell', Object.keys(SHELLS)), 2);
      // The whole command tree, whatever this run loaded.
      const { Command: Cmd } = await import('commander');
      const full = new Cmd('dmconfirm');
      for (const group of commandGroups) (await group.load())(full);
      process.stdout.write(generate(full));
    });
}
