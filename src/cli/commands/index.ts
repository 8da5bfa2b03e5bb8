import type { Command } from 'commander';
import { registerConfig } from './config.js';

/** Every subcommand registers itself here; one line per command file. */
export const commands: Array<(program: Command) => void> = [
  registerConfig,
];
