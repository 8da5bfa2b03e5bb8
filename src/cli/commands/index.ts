import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every subcommand group, by the top-level names it registers, loaded on demand: the
 * daemon (`dmconfirm agent`) then never loads the simulator, the demo's broker or the
 * operator tools, which would cost it memory for as long as it runs.
 */
export const commandGroups: Array<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['config'], load: async () => (await import('./config.js')).registerConfig },
  { names: ['agent'], load: async () => (await import('./agent.js')).registerAgent },
  { names: ['sim'], load: async () => (await import('./sim.js')).registerSim },
  { names: ['audit'], load: async () => (await import('./audit.js')).registerAudit },
  {
    names: ['keys', 'trust', 'request', 'cosign', 'approve', 'verify'],
    load: async () => (await import('./trust/index.js')).registerTrustCommands,
  },
  {
    names: ['powercycle', 'cancel', 'publish', 'status', 'follow', 'forget'],
    load: async () => (await import('./operator.js')).registerOperatorCommands,
  },
  { names: ['rollout'], load: async () => (await import('./rollout.js')).registerRollout },
  { names: ['actuator'], load: async () => (await import('./actuator.js')).registerActuator },
  { names: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctor },
  { names: ['pair'], load: async () => (await import('./pair.js')).registerPair },
  { names: ['probe'], load: async () => (await import('./probe.js')).registerProbe },
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemo },
  { names: ['completion'], load: async () => (await import('./completion.js')).registerCompletion },
];

/** The registrations for this command line: only the named group when there is one, else all (help, typos). */
export async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  const group = commandGroups.find((g) => name !== undefined && g.names.includes(name));
  return Promise.all((group ? [group] : commandGroups).map((g) => g.load()));
}
