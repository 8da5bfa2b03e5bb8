import type { Command } from 'commander';
import { OPERATOR_SETTINGS } from '../operator/settings.js';

function walk(command: Command): Command[] {
  return [command, ...command.commands.flatMap(walk)];
}

/**
 * The registered commands that take operator options (`--broker`, `--site`, TLS files, ...). Kept apart from
 * operator-defaults.ts, which reads and checks their settings, so that a command line without any (the daemon)
 * never loads that code.
 */
export function operatorSettingUsers(program: Command): Command[] {
  return walk(program).filter((c) => c.options.some((o) => OPERATOR_SETTINGS.some((s) => o.long === `--${s.name}`)));
}
