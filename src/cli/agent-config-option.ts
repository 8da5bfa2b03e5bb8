import { Option } from 'commander';

/** Where the packaged unit and the Pi install put the agent's configuration. */
export const DEFAULT_AGENT_CONFIG = '/etc/dmconfirm/agent.yaml';

/** `-c, --config <file>` with the same default for agent, doctor, pair and actuator. */
export function agentConfigOption(): Option {
  return new Option('-c, --config <file>', 'agent configuration (YAML)').default(DEFAULT_AGENT_CONFIG);
}
