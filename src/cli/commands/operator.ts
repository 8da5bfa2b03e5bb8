import type { Command } from 'commander';
import { registerCancel } from './cancel.js';
import { registerFollow } from './follow.js';
import { registerForget } from './forget.js';
import { registerPowerCycle } from './powercycle.js';
import { registerPublish } from './publish.js';
import { registerStatus } from './status.js';

/** Operator commands that talk to agents through the broker (issue 5). */
export function registerOperatorCommands(program: Command): void {
  registerPowerCycle(program);
  registerCancel(program);
  registerPublish(program);
  registerStatus(program);
  registerFollow(program);
  registerForget(program);
}
