import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DEFAULT_BASE_TOPIC } from '../../mqtt/contract.js';
import { BrokerOptionError, brokerSettings } from '../../operator/broker.js';
import type { BrokerOptions } from '../../operator/broker.js';
import { EXIT } from '../../operator/progress.js';
import { describePlan, planSend, SendPlanError } from '../../operator/send-plan.js';
import { sendAndFollow } from '../../operator/send.js';
import { signPayload } from '../../trust/jws.js';
import type { Signer } from '../../trust/jws.js';
import { CliError } from '../cli-error.js';
import { durationMs } from '../duration.js';
import { originNote } from '../operator-defaults.js';
import { refuseClosedWindow } from '../signing-checks.js';
import { followCommand, onInterrupt } from '../interrupt.js';
import { describeMessage, writeEnvelope } from './trust/io.js';

/** Publishing needs a signature: said before anything connects to a broker. */
export function requireKeyToPublish(key: Signer | undefined): asserts key is Signer {
  if (key) return;
  const how =
    'give --key, --ssh-agent or --ssh-keygen (or write a draft with --out, co-sign it, then dmconfirm publish)';
  throw new CliError(`--broker needs a signed message: ${how}`, 2);
}

/** Options that connect a signing command to the agents: `--broker URL --site S [--wait]`. */
export interface PublishOptions {
  broker?: string;
  site?: string;
  base: string;
  wait?: boolean | string;
  connectTimeout: string;
  dryRun?: boolean;
  username?: string;
  passwordFile?: string;
  ca?: string;
  cert?: string;
  clientKey?: string;
  protocol: string;
  /** Set by applyOperatorSettings: --broker was typed, not a standing default. */
  explicitBroker?: boolean;
  publish?: boolean;
}

export const DEFAULT_WAIT = '10m';

export const NO_BROKER =
  '--broker is required (or DMCONFIRM_BROKER, or broker: in the operator settings: dmconfirm config show --operator)';

/** Connection to the broker; `--client-key` because `--key` is the signing key. */
export function connectionOptions(command: Command): Command {
  return command
    .option('--base <topic>', 'MQTT base topic', DEFAULT_BASE_TOPIC)
    .option('--username <name>', 'broker user name')
    .option('--password-file <file>', 'broker password, read from this file')
    .option('--ca <file>', 'CA certificate for a TLS broker (mqtts://)')
    .option('--cert <file>', 'TLS client certificate')
    .option('--client-key <file>', 'TLS client private key')
    .option('--protocol <4|5>', 'MQTT protocol version (4 = 3.1.1)', '5')
    .option('--connect-timeout <duration>', 'give up when the broker does not answer (exit 4)', '10s');
}

/** `--broker`, `--site`, `--wait` and the connection options, added to a signing command. */
export function publishOptions(command: Command): Command {
  return connectionOptions(
    command
      .option('--broker <url>', 'publish the signed message to the agent through this broker (mqtt://, mqtts://)')
      .option('--publish', 'publish through the standing broker (DMCONFIRM_BROKER or the operator settings file)')
      .option('--site <site>', "the agent's site (topic level under --base); needed with --broker")
      .option(
        '--wait [duration]',
        `follow the agent's progress until done (default up to ${DEFAULT_WAIT}); ` +
          `exit 0 done, 1 failed, 2 refused, 3 no answer, 4 broker unreachable`,
      )
      .option('--dry-run', 'with --broker: print what would be published, publish nothing'),
  );
}

/** A duration option in seconds (500ms, 10s, 5m, ...; a bare number is seconds); bad input exits 2. */
export function seconds(text: string, what: string): number {
  return durationMs(text, what, 's') / 1000;
}

function readable(path: string, option: string, note: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new CliError(
      `${option}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}${note}`,
      2,
    );
  }
}

/** A broker option's error in this CLI's option names, with where a value not typed came from. */
function brokerErrorLine(error: BrokerOptionError): string {
  const m = error.message;
  if (m.startsWith('cannot read password file')) return `--password-file: ${m}${originNote('password-file')}`;
  if (m.startsWith('cannot read client key')) return `--client-key: ${m}${originNote('client-key')}`;
  if (m.startsWith('--cert and'))
    return `--cert and --client-key go together${originNote('cert') || originNote('client-key')}`;
  return m;
}

export function brokerOf(o: PublishOptions & { broker: string }, role: string) {
  const options: BrokerOptions = {
    broker: o.broker,
    username: o.username,
    passwordFile: o.passwordFile,
    ca: o.ca,
    cert: o.cert,
    key: o.clientKey,
    protocol: o.protocol,
  };
  try {
    // The TLS files are read when connecting: an unreadable one is said now, like the password file.
    for (const [name, path] of [
      ['ca', o.ca],
      ['cert', o.cert],
    ] as const)
      if (path !== undefined) readable(path, `--${name}`, originNote(name));
    return brokerSettings(options, role);
  } catch (error) {
    if (error instanceof BrokerOptionError) throw new CliError(brokerErrorLine(error), 2);
    throw error;
  }
}

/**
 * True when a signing command should also publish: --broker typed, or --publish, --wait or
 * --dry-run asked for it. A standing default broker (environment, settings file) alone never
 * publishes: writing a draft must stay a draft.
 */
export function wantsPublish(o: PublishOptions): boolean {
  const asked = o.explicitBroker === true || o.publish === true || o.wait !== undefined || o.dryRun === true;
  if (!asked) return false;
  if (o.broker === undefined) {
    throw new CliError(
      '--publish, --wait and --dry-run need a broker: --broker URL, DMCONFIRM_BROKER, ' +
        'or broker: in the operator settings (dmconfirm config show --operator)',
      2,
    );
  }
  return true;
}

/**
 * Publishes the exact bytes of a signed message to its agent and, with --wait, follows the
 * answers. Sets the exit code scripts rely on; never returns normally on failure.
 */
export async function publishSigned(
  bytes: Buffer,
  o: PublishOptions,
  expect: { agent?: string; kind?: string } = {},
): Promise<void> {
  if (o.broker === undefined) throw new CliError(NO_BROKER, 2);
  if (o.site === undefined)
    throw new CliError(
      '--site is required with a broker (the topic is <base>/<site>/<agent>/...); ' +
        'or DMCONFIRM_SITE, or site: in the operator settings',
      2,
    );
  const wait = o.wait !== undefined && o.wait !== false;
  const timeoutMs = seconds(typeof o.wait === 'string' ? o.wait : DEFAULT_WAIT, '--wait') * 1000;
  let plan;
  try {
    plan = planSend({
      bytes,
      base: o.base,
      site: o.site,
      agent: expect.agent,
      kind: expect.kind,
      wait,
      timeoutMs,
      now: Date.now(),
    });
  } catch (error) {
    if (error instanceof SendPlanError) throw new CliError(error.message, 2);
    throw error;
  }
  if (o.dryRun) {
    for (const line of describePlan(plan, o.broker)) console.log(line);
    return;
  }
  const settings = brokerOf({ ...o, broker: o.broker }, 'publish');
  const interrupt = onInterrupt();
  const result = await sendAndFollow(plan, settings, {
    connectTimeoutMs: seconds(o.connectTimeout, '--connect-timeout') * 1000,
    out: process.stdout,
    err: process.stderr,
    until: interrupt.until,
    followHint: followCommand(plan.requestId, o, DEFAULT_BASE_TOPIC),
  }).finally(interrupt.release);
  if (result.code !== EXIT.done) throw new CliError(result.summary, result.code);
  console.log(result.summary);
}

/**
 * For request/approve/powercycle with --broker: sign, keep a copy when --out is given, and
 * publish. A draft without a signature is refused here: the agent would refuse it anyway.
 */
export async function signAndPublish(
  typ: string,
  payload: Record<string, unknown>,
  key: Signer | undefined,
  o: PublishOptions & { out?: string; force?: boolean; agent?: string },
): Promise<void> {
  requireKeyToPublish(key);
  refuseClosedWindow(payload, Date.now());
  const envelope = await signPayload(payload, typ, key);
  if (o.out && !o.dryRun) {
    await writeEnvelope(o.out, envelope, { overwrite: o.force === true });
    console.log(`wrote ${o.out}`);
  }
  console.log(describeMessage(payload));
  await publishSigned(Buffer.from(JSON.stringify(envelope)), o, o.agent ? { agent: o.agent } : {});
}

interface PublishCommandOptions extends PublishOptions {
  agent?: string;
  kind?: string;
}

export function registerPublish(program: Command): void {
  publishOptions(
    program
      .command('publish')
      .argument('<file>', 'a signed message (request, approval or power cycle), e.g. after dmconfirm cosign')
      .description('Publish a signed message to its agent, exactly as signed, and optionally follow the progress')
      .option('--agent <id>', 'check that the message is for this agent')
      .option('--kind <kind>', 'check that the message is a request, approval or powercycle'),
  ).action(async (file: string, o: PublishCommandOptions) => {
    if (o.broker === undefined) throw new CliError(NO_BROKER, 2);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 2);
    }
    await publishSigned(bytes, o, { ...(o.agent ? { agent: o.agent } : {}), ...(o.kind ? { kind: o.kind } : {}) });
  });
}
