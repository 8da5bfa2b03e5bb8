import type { ModelProfile } from '../profiles.js';
import { deviceModeCommands } from './device-mode.js';
import { featureCommands } from './features.js';
import { networkCommands } from './network.js';
import { poeCommands } from './poe.js';
import { systemCommands } from './system.js';
import type { CommandTable } from './types.js';

/** Every command path the simulated model answers. */
export function commandsFor(profile: ModelProfile): CommandTable {
  return {
    ...systemCommands(profile.routerboard),
    ...deviceModeCommands,
    ...featureCommands,
    ...networkCommands,
    ...(profile.poePorts ? poeCommands : {}),
  };
}
