import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { notOneOf } from '../text/did-you-mean.js';

/** "dmconfirm trust sign": the words a user types to reach this command. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Usage errors on every command, sub-command included: one line saying what is wrong, one
 * hint line naming that command's help; never the whole help text. Exit code 2 (see exitCodeOf).
 */
export function conciseUsageErrors(command: Command): void {
  command.showHelpAfterError(false);
  command.configureOutput({
    outputError: (message, write) => {
      const line = message
        .trim()
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ');
      write(`dmconfirm: ${line}\nhint: ${commandPath(command)} --help shows its usage\n`);
    },
  });
  command.exitOverride();
  // A group (`dmconfirm trust`) without its sub-command: say so in one line, not the whole help.
  if (command.commands.length > 0 && command.parent) {
    command
      .usage('[options] <command>')
      .argument('[command]')
      .allowExcessArguments()
      .action((name?: string) => {
        const names = command.commands.map((c) => c.name());
        const group = commandPath(command).replace(/^\S+ /, '');
        command.error(
          name === undefined
            ? `${group} needs a command: ${names.join(', ')}`
            : `${group}: ${notOneOf(name, 'a command', names)}`,
          { code: 'commander.unknownCommand' },
        );
      });
  }
  for (const sub of command.commands) conciseUsageErrors(sub);
}

/** Help and version are successes; every other commander error is bad usage: exit 2. */
export function exitCodeOf(error: CommanderError): number {
  return error.exitCode === 0 ? 0 : 2;
}
