import type { Command } from 'commander';
import PinoPretty from 'pino-pretty';
import { createLogger } from '../../log/logger.js';
import { runDemo } from '../../demo/run-demo.js';
import { CliError } from '../cli-error.js';

/** `dmconfirm demo`: the whole product on one machine, narrated; exit 0 only if everything was verified. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run a simulated site end to end (embedded broker, simulated router ' +
        'and actuator, the agent): a signed change and a forged request',
    )
    .option('--verbose', "show the agent's own logs (info and up) on stderr")
    .action(async (flags: { verbose?: boolean }) => {
      // The narration goes to stdout; the agent's log lines (warnings only by default) to stderr.
      const logger = createLogger({
        level: flags.verbose ? 'info' : 'error',
        destination: PinoPretty({
          destination: 2,
          sync: true,
          colorize: Boolean(process.stderr.isTTY),
          singleLine: true,
          messageFormat: 'agent log: {msg}',
          ignore: 'pid,hostname,name',
          translateTime: 'SYS:HH:MM:ss.l',
        }),
      });
      console.log('dmconfirm demo: one simulated site, end to end');
      const result = await runDemo({ say: (line) => console.log(line), logger });
      if (!result.ok)
        throw new CliError(
          `demo failed: ${
            result.failure ??
            result.checks
              .filter((c) => !c.ok)
              .map((c) => c.name)
              .join(', ')
          }`,
          1,
        );
    });
}
