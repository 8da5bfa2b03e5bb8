import type { Command } from 'commander';
import { doctorExitCode, formatCheck, formatSummary } from '../../doctor/check.js';
import { runDoctor } from '../../doctor/run.js';
import { durationMs } from '../duration.js';
import { agentConfigOption } from '../agent-config-option.js';

interface DoctorFlags {
  config: string;
  credentials?: string;
  timeout: string;
  json?: boolean;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check an installation (config, state, clock, keys, trust ' +
        'root, GPIO/serial, routers, broker); exit 1 if any check fails',
    )
    .addOption(agentConfigOption())
    .option(
      '--credentials <dir>',
      'where {credential: NAME} secrets are, outside systemd (sets $CREDENTIALS_DIRECTORY)',
    )
    .option(
      '--timeout <duration>',
      'how long the broker may take to accept the connection (500ms, 5s; a bare number is ms)',
      '5s',
    )
    .option('--json', 'print the results as JSON')
    .action(async (flags: DoctorFlags) => {
      const env = flags.credentials ? { ...process.env, CREDENTIALS_DIRECTORY: flags.credentials } : process.env;
      const print = (lines: string[]) => {
        if (!flags.json) for (const line of lines) console.log(line);
      };
      const results = await runDoctor(flags.config, {
        env,
        brokerTimeoutMs: durationMs(flags.timeout, '--timeout', 'ms'),
        onResult: (result) => print(formatCheck(result)),
      });
      if (flags.json) console.log(JSON.stringify(results, null, 2));
      else console.log(formatSummary(results));
      process.exitCode = doctorExitCode(results);
    });
}
