import type { Command } from 'commander';
import { forgetAgent } from '../../operator/forget.js';
import { BrokerUnreachableError } from '../../operator/broker.js';
import { EXIT } from '../../operator/progress.js';
import { CliError } from '../cli-error.js';
import { agentTopics } from '../../mqtt/topics.js';
import { brokerOf, connectionOptions, NO_BROKER, seconds } from './publish.js';
import type { PublishOptions } from './publish.js';

export function registerForget(program: Command): void {
  connectionOptions(
    program
      .command('forget')
      .description(
        "Clear a decommissioned agent's retained topics (status, " +
          'router states, challenges, checkpoint) from the broker',
      )
      .requiredOption('--agent <id>', 'the agent to forget')
      .option('--site <site>', 'its site, when the same agent id has topics at several')
      .option('--broker <url>', 'the broker (mqtt://, mqtts://); its ACL must allow this (the fleet-admin user)')
      .option('--force', 'even if the agent says it is online (it will publish again)'),
  ).action(async (o: PublishOptions & { agent: string; force?: boolean }) => {
    if (o.broker === undefined) throw new CliError(NO_BROKER, 2);
    // Values that cannot be topic levels are bad input, said before any connection is tried.
    agentTopics(o.base, o.site ?? 'any', o.agent);
    let result;
    try {
      result = await forgetAgent(brokerOf({ ...o, broker: o.broker }, 'forget'), {
        base: o.base,
        agent: o.agent,
        site: o.site,
        force: o.force === true,
        connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
        print: (line) => console.log(line),
      });
    } catch (error) {
      if (error instanceof BrokerUnreachableError) throw new CliError(error.message, EXIT.unreachable);
      throw error;
    }
    if (result.code !== EXIT.done) throw new CliError(result.message, result.code);
    console.log(result.message);
  });
}
