import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';

/**
 * `--identity ""` or `--site "  "` is a mistake (an unset shell variable, a stray quote), never
 * a way to leave an option out: every option value and argument typed on the command line is
 * refused when empty or only blanks, on every command, as a usage error naming the option.
 * (Values from DMCONFIRM_* and the settings file: src/cli/setting-checks.ts.)
 */
export function refuseBlankValues(command: Command): void {
  for (const option of command.options) {
    if (!option.required && !option.optional) continue;
    const flag = option.long ?? option.short ?? option.name();
    const fix = option.mandatory ? 'give it a value' : 'give it a value, or leave the option out';
    // Before commander's own listener, so a parser (collect) never sees it.
    (command as unknown as EventEmitter).prependListener(`option:${option.name()}`, (value: unknown) => {
      if (typeof value === 'string' && value.trim() === '')
        command.error(`${flag} is empty: ${fix}`, {
          code: 'commander.invalidArgument',
        });
    });
  }
  command.hook('preAction', (_, action) => {
    if (action !== command) return;
    const args = action.registeredArguments;
    action.args.forEach((value, i) => {
      if (value.trim() !== '') return;
      const name = args[Math.min(i, args.length - 1)]?.name();
      action.error(`${name ? `<${name}>` : 'an argument'} is empty: give it a value`, {
        code: 'commander.invalidArgument',
      });
    });
  });
  for (const sub of command.commands) refuseBlankValues(sub);
}
