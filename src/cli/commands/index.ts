import type { Command } from 'commander';
import { registerActuator } from './actuator.js';
import { registerAgent } from './agent.js';
import { registerAudit } from './audit.js';
import { registerConfig } from './config.js';
import { registerDoctor } from './doctor.js';
import { registerPair } from './pair.js';
import { registerDemo } from './demo.js';
import { registerSim } from './sim.js';
import { registerOperatorCommands } from './operator.js';
import { registerTrustCommands } from './trust/index.js';

/** Every subcommand registers itself here; one line per command file. */
export const commands: Array<(program: Command) => void> = [
  registerConfig,
  registerAgent,
  registerSim,
  registerAudit,
  registerTrustCommands,
  registerOperatorCommands,
  registerActuator,
  registerDoctor,
  registerPair,
  registerDemo,
];
