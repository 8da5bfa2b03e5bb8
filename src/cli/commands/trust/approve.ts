import type { Command } from 'commander';
import { buildApproval, buildChange } from '../../../trust/drafts.js';
import { challengeSchema, TYP } from '../../../trust/messages.js';
import type { Challenge } from '../../../trust/messages.js';
import { CliError } from '../../cli-error.js';
import { cliAction, collect, EXIT_INPUT, readText } from './io.js';
import { emit, requesterOf } from './request.js';
import type { TargetOptions } from './request.js';

/** A challenge given as a file or inline JSON. */
export async function readChallenge(value: string): Promise<Challenge> {
  const text = value.trim().startsWith('{') ? value : await readText(value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError('the challenge is not JSON', EXIT_INPUT);
  }
  const parsed = challengeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`not a dmconfirm challenge: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? ''}`, EXIT_INPUT);
  }
  return parsed.data;
}

interface ApproveOptions extends Omit<TargetOptions, 'agent'> {
  challenge: string;
  enable: string[];
  disable: string[];
  mode?: string;
  flaggedNo?: boolean;
  method?: string;
}

export function registerApprove(program: Command): void {
  program
    .command('approve')
    .description('Approve a change someone else requested, as observed in the agent\'s challenge')
    .requiredOption('--challenge <file|json>', 'the challenge the agent published')
    .option('--enable <feature>', 'expected afterwards: feature on (repeatable)', collect, [])
    .option('--disable <feature>', 'expected afterwards: feature off (repeatable)', collect, [])
    .option('--mode <mode>', 'expected afterwards: this mode')
    .option('--flagged-no', 'expected afterwards: flagged cleared')
    .option('--method <method>', 'how the agent confirms: button or power')
    .option('--key <key>', 'sign with this private key')
    .option('--requester <name>', 'name for an unsigned draft that approvers co-sign')
    .option('--not-after <time>', 'optional expiry (needs a synchronized agent clock; the nonce alone needs none)')
    .option('--out <file>', 'where to write the approval (default: print it)')
    .option('--force', 'overwrite --out')
    .action(
      cliAction(async (o: ApproveOptions) => {
        const challenge = await readChallenge(o.challenge);
        if (o.method !== 'button' && o.method !== 'power') throw new CliError('--method is button or power', EXIT_INPUT);
        const target = { ...o, agent: challenge.agent };
        const { key, requester } = await requesterOf(target);
        const expect = buildChange({ enable: o.enable, disable: o.disable, ...(o.mode ? { mode: o.mode } : {}), flaggedNo: o.flaggedNo === true });
        const payload = buildApproval(challenge, {
          requester,
          now: Date.now(),
          expect,
          method: o.method,
          ...(o.notAfter ? { notAfter: o.notAfter } : {}),
        });
        // The approver's own signature counts: it is not marked as the requester's.
        const approval = key ? { ...payload, requester: { name: requester.name } } : payload;
        await emit(TYP.approval, approval, key, target);
      }),
    );
}
