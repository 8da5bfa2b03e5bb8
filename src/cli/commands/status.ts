import type { Command } from 'commander';
import { DEFAULT_OFFLINE_AFTER } from '../../operator/settings.js';
import { showStatus } from '../../operator/status.js';
import { CliError } from '../cli-error.js';
import { durationMs } from '../duration.js';
import { brokerOf, connectionOptions, NO_BROKER, seconds } from './publish.js';
import type { PublishOptions } from './publish.js';

interface StatusCommandOptions extends PublishOptions {
  wide?: boolean;
  offlineAfter: string;
  watch?: boolean;
  json?: boolean;
  settle: string;
}

export function registerStatus(program: Command): void {
  connectionOptions(
    program
      .command('status')
      .description(
        'Show every agent and router the broker knows of: online, device-mode, attempt-count, operation, last result',
      )
      .option('--broker <url>', 'the broker the agents publish to (mqtt://, mqtts://)')
      .option('--watch', 'keep redrawing on every change until Ctrl-C')
      .option('--json', 'print the model as JSON (one document per change with --watch)')
      .option(
        '--settle <duration>',
        'the first look is complete when no retained message came for this long (a bare number is ms)',
        '300ms',
      )
      .option('--wide', 'every column, however wide (default: fit the terminal, 80 columns in a pipe)')
      .option(
        '--offline-after <duration>',
        'list agents offline for longer apart, below the table',
        DEFAULT_OFFLINE_AFTER,
      ),
  ).action(async (o: StatusCommandOptions) => {
    if (o.broker === undefined) throw new CliError(NO_BROKER, 2);
    const broker = o.broker;
    const quietMs = durationMs(o.settle, '--settle', 'ms');
    if (quietMs < 10) throw new CliError('--settle: at least 10ms', 2);
    // Watching ends on Ctrl-C with the connection closed cleanly; a single look ends by itself.
    let stop: () => void = () => undefined;
    const until = new Promise<void>((resolve) => (stop = resolve));
    if (o.watch) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    const result = await showStatus(brokerOf({ ...o, broker }, 'status'), {
      base: o.base,
      json: o.json === true,
      watch: o.watch === true,
      connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
      quietMs,
      // Only new topics keep the first look open, and a fleet has finitely many: the cap is a
      // guard, long enough for a big fleet's burst on a loaded broker to arrive in full.
      maxSettleMs: Math.max(30_000, quietMs * 4),
      out: process.stdout,
      err: process.stderr,
      until,
      layout: {
        wide: o.wide === true,
        width: process.stdout.isTTY ? Math.max(40, process.stdout.columns) : 80,
        offlineAfterMs: seconds(o.offlineAfter, '--offline-after') * 1000,
      },
    });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (result.code !== 0) throw new CliError(result.message ?? 'failed', result.code);
  });
}
