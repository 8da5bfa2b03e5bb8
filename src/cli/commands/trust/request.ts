import type { Command } from 'commander';
import {
  buildChange,
  buildChangeRequest,
  buildPowerCycle,
  parseDurationSeconds,
  routerRef,
} from '../../../trust/drafts.js';
import type { CommonOptions } from '../../../trust/drafts.js';
import { signPayload } from '../../../trust/jws.js';
import type { Signer } from '../../../trust/jws.js';
import { TYP } from '../../../trust/messages.js';
import { CliError } from '../../cli-error.js';
import { publishOptions, signAndPublish, wantsPublish } from '../publish.js';
import type { PublishOptions } from '../publish.js';
import { orderChallengeFor } from '../order-challenge.js';
import { readChallenge } from './challenge-file.js';
import { cliAction, collect, describeMessage, EXIT_INPUT, writeEnvelope } from './io.js';
import { loadSigner, sshSignerOptions } from './ssh-options.js';
import type { SignerOptions } from './ssh-options.js';
import { requesterIdentity } from './trusted-identity.js';
import { methodOf, refuseClosedWindow, signatureNote } from '../../signing-checks.js';

export interface TargetOptions extends SignerOptions {
  agent: string;
  routerSerial?: string;
  routerSystemId?: string;
  requester?: string;
  trust?: string;
  notBefore?: string;
  notAfter?: string;
  out?: string;
  force?: boolean;
  challenge?: string;
  urgent?: boolean;
}

export const TRUST_HELP =
  'check the signing key against this trust root first: the requester is the identity it lists the key under';

/** Options every signed operator message shares (a `--broker` option joins here later). */
export function targetOptions(command: Command): Command {
  return sshSignerOptions(command)
    .requiredOption('--agent <id>', 'the agent that must act')
    .option('--router-serial <serial>', 'the router by its routerboard serial number')
    .option('--router-system-id <id>', 'the router by its license system id (CHR)')
    .option(
      '--key <key>',
      'sign as the requester with this private key (no key of the requester ever counts as an approval)',
    )
    .option(
      '--requester <name>',
      "the requester identity in the trust root (default: the key's name); without --key: an unsigned draft",
    )
    .option('--trust <file>', TRUST_HELP)
    .option('--not-before <time>', 'window start (ISO time or +30m); needs a synchronized agent clock')
    .option('--not-after <time>', 'window end (ISO time or +2h); needs a synchronized agent clock')
    .option('--out <file>', 'where to write the message (default: print it)')
    .option('--force', 'overwrite --out');
}

/** Resolves who requests: a signing key, or only a name for a draft. */
export async function requesterOf(o: TargetOptions): Promise<{ key?: Signer; requester: CommonOptions['requester'] }> {
  const key = await loadSigner(o, o.requester);
  if (key) {
    const name = (await requesterIdentity(key, o)) ?? key.name;
    return { key, requester: { name, keyId: key.keyId } };
  }
  if (o.trust !== undefined) await requesterIdentity(key, o);
  if (!o.requester)
    throw new CliError(
      'give --key (or --ssh-agent / --ssh-keygen) to sign as requester, or --requester NAME to write an unsigned draft',
      EXIT_INPUT,
    );
  return { requester: { name: o.requester } };
}

export async function commonOf(
  o: TargetOptions,
  requester: CommonOptions['requester'],
  now: number,
): Promise<CommonOptions> {
  return {
    ...(o.challenge ? { challenge: await readChallenge(o.challenge) } : {}),
    agent: o.agent,
    router: routerRef(o),
    requester,
    now,
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    ...(o.notAfter ? { notAfter: o.notAfter } : {}),
    ...(o.urgent ? { urgent: true } : {}),
  };
}

/** Writes (or prints) a message and says what it is and who still has to sign. */
export async function emit(
  typ: string,
  payload: Record<string, unknown>,
  key: Signer | undefined,
  o: TargetOptions,
): Promise<void> {
  if (key) refuseClosedWindow(payload, Date.now());
  const envelope = await signPayload(payload, typ, key);
  const json = JSON.stringify(envelope, null, 2) + '\n';
  if (!o.out) {
    process.stdout.write(json);
    return;
  }
  await writeEnvelope(o.out, envelope, { overwrite: o.force === true });
  console.log(`wrote ${o.out}: ${describeMessage(payload)}`);
  const requester = (payload.requester as { name?: string } | undefined)?.name;
  if (key) console.log(signatureNote(payload, key));
  else
    console.log(
      requester
        ? `  unsigned draft: requester ${requester} must sign it too (dmconfirm cosign ${o.out} --key K)`
        : '  unsigned draft',
    );
  console.log(`  approvers add their signatures with: dmconfirm cosign ${o.out} --key K`);
}

interface RequestOptions extends TargetOptions, PublishOptions {
  enable: string[];
  disable: string[];
  mode?: string;
  flaggedNo?: boolean;
  method?: string;
  timeout: string;
  powerCycle?: string;
  note?: string;
  freshChallenge?: boolean;
}

export function registerRequest(program: Command): void {
  publishOptions(targetOptions(program.command('request')))
    .description('Build a signed device-mode change request (or, with --power-cycle, a power cycle request)')
    .option('--enable <feature>', 'turn a feature on (repeatable, or comma-separated)', collect, [])
    .option('--disable <feature>', 'turn a feature off (repeatable)', collect, [])
    .option('--mode <mode>', 'set the mode (replaces all per-feature values on the router)')
    .option('--flagged-no', 'clear the flagged state (only after a full audit)')
    .option('--method <method>', 'how the agent confirms: button or power')
    .option('--timeout <duration>', 'activation timeout of the update (10s..1d)', '5m')
    .option('--power-cycle <reason>', 'instead: a plain power cycle (hung | reset-attempt-count)')
    .option('--note <text>', 'power cycle: why, for the audit log')
    .option(
      '--challenge <file|json>',
      'bind to a challenge the agent published (valid without a synchronized agent clock)',
    )
    .option('--urgent', "may act outside the site's maintenance windows (needs the site's urgent approver count)")
    .option(
      '--fresh-challenge',
      'with --broker: bind to a fresh challenge from the agent (done by itself when its clock is unsynchronized)',
    )
    .action(
      cliAction(async (o: RequestOptions) => {
        const { key, requester } = await requesterOf(o);
        const common = {
          ...(await commonOf(o, requester, Date.now())),
          ...(wantsPublish(o) ? await orderChallengeFor(o, key) : {}),
        };
        if (o.powerCycle) {
          if (o.powerCycle !== 'hung' && o.powerCycle !== 'reset-attempt-count')
            throw new CliError('--power-cycle is hung or reset-attempt-count', EXIT_INPUT);
          const payload = buildPowerCycle({ ...common, reason: o.powerCycle, ...(o.note ? { note: o.note } : {}) });
          await (wantsPublish(o)
            ? signAndPublish(TYP.powerCycle, payload, key, o)
            : emit(TYP.powerCycle, payload, key, o));
          return;
        }
        const method = methodOf(o.method);
        const change = buildChange({
          enable: o.enable,
          disable: o.disable,
          ...(o.mode ? { mode: o.mode } : {}),
          flaggedNo: o.flaggedNo === true,
        });
        const payload = buildChangeRequest({
          ...common,
          change,
          method,
          activationTimeoutSeconds: parseDurationSeconds(o.timeout),
        });
        await (wantsPublish(o) ? signAndPublish(TYP.request, payload, key, o) : emit(TYP.request, payload, key, o));
      }),
    );
}
