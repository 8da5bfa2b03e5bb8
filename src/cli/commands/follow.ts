import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DEFAULT_BASE_TOPIC, inboundCorrelation } from '../../mqtt/contract.js';
import { followOperation } from '../../operator/follow.js';
import { EXIT } from '../../operator/progress.js';
import { CliError } from '../cli-error.js';
import { followCommand, onInterrupt } from '../interrupt.js';
import { brokerOf, connectionOptions, DEFAULT_WAIT, NO_BROKER, seconds } from './publish.js';
import type { PublishOptions } from './publish.js';

/** A request id, or the signed message's file: then answers are checked against its bytes. */
async function target(arg: string): Promise<{ requestId: string; digest?: string }> {
  if (/^[A-Za-z0-9_-]{8,64}$/.test(arg)) return { requestId: arg };
  let bytes: Buffer;
  try {
    bytes = await readFile(arg);
  } catch (error) {
    throw new CliError(
      `"${arg}" is neither a request id nor a readable message file ` +
        `(${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      2,
    );
  }
  const { requestId, digest } = inboundCorrelation(bytes);
  if (!requestId) throw new CliError(`${arg}: not a signed dmconfirm message with a request id`, 2);
  return { requestId, digest };
}

export function registerFollow(program: Command): void {
  connectionOptions(
    program
      .command('follow')
      .argument('<request>', 'the request id (as printed when it was sent), or the signed message file')
      .description("Re-attach to an operation's progress (after Ctrl-C, or from another terminal) until it ends")
      .option('--broker <url>', 'the broker the agents publish to (mqtt://, mqtts://)')
      .option('--wait <duration>', `how long to follow at most (like 90s, 10m; default ${DEFAULT_WAIT})`, DEFAULT_WAIT),
  ).action(async (request: string, o: PublishOptions & { wait: string }) => {
    if (o.broker === undefined) throw new CliError(NO_BROKER, 2);
    const { requestId, digest } = await target(request);
    const interrupt = onInterrupt();
    const result = await followOperation(brokerOf({ ...o, broker: o.broker }, 'follow'), {
      base: o.base,
      requestId,
      digest,
      timeoutMs: seconds(o.wait, '--wait') * 1000,
      connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
      out: process.stdout,
      err: process.stderr,
      until: interrupt.until,
      followHint: followCommand(requestId, o, DEFAULT_BASE_TOPIC),
    }).finally(interrupt.release);
    if (result.code !== EXIT.done) throw new CliError(result.summary, result.code);
    console.log(result.summary);
  });
}
