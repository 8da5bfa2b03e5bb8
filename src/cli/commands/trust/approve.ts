import type { Command } from 'commander';
import { buildApproval, buildChange, parseChangeSpec } from '../../../trust/drafts.js';
import { TYP } from '../../../trust/messages.js';
import { publishOptions, signAndPublish, wantsPublish } from '../publish.js';
import type { PublishOptions } from '../publish.js';
import { readChallenge } from './challenge-file.js';
import { cliAction, collect } from './io.js';
import { loadSigner, sshSignerOptions } from './ssh-options.js';
import { emit } from './request.js';
import type { TargetOptions } from './request.js';
import { methodOf } from '../../signing-checks.js';
import { forOption } from '../../option-names.js';

interface ApproveOptions extends Omit<TargetOptions, 'agent' | 'requester'>, PublishOptions {
  challenge: string;
  expect?: string;
  enable: string[];
  disable: string[];
  mode?: string;
  flaggedNo?: boolean;
  method?: string;
}

export function registerApprove(program: Command): void {
  sshSignerOptions(publishOptions(program.command('approve')))
    .description("Approve a change someone else requested, as observed in the agent's challenge")
    .requiredOption('--challenge <file|json>', 'the challenge the agent published')
    .option(
      '--expect <spec>',
      'expected afterwards, e.g. "container=yes,socks=no" or "mode=rose" (or use the options below)',
    )
    .option('--enable <feature>', 'expected afterwards: feature on (repeatable)', collect, [])
    .option('--disable <feature>', 'expected afterwards: feature off (repeatable)', collect, [])
    .option('--mode <mode>', 'expected afterwards: this mode')
    .option('--flagged-no', 'expected afterwards: flagged cleared')
    .option('--method <method>', 'how the agent confirms: button or power')
    .option(
      '--key <key>',
      'sign with this private key (without it, --ssh-agent or --ssh-keygen: an unsigned draft that approvers co-sign)',
    )
    .option('--not-after <time>', 'optional expiry (needs a synchronized agent clock; the nonce alone needs none)')
    .option('--urgent', "may act outside the site's maintenance windows (needs the site's urgent approver count)")
    .option('--out <file>', 'where to write the approval (default: print it)')
    .option('--force', 'overwrite --out')
    .action(
      cliAction(async (o: ApproveOptions) => {
        const challenge = await readChallenge(o.challenge);
        const method = methodOf(o.method);
        const target = { ...o, agent: challenge.agent };
        const key = await loadSigner(o);
        const spec = o.expect
          ? forOption('--expect', () => parseChangeSpec(o.expect!))
          : { enable: [], disable: [], flaggedNo: false };
        const mode = o.mode ?? spec.mode;
        const build = () =>
          buildChange({
            enable: [...o.enable, ...(spec.enable ?? [])],
            disable: [...o.disable, ...(spec.disable ?? [])],
            ...(mode ? { mode } : {}),
            flaggedNo: o.flaggedNo === true || spec.flaggedNo === true,
          });
        // What is wrong may come from the spec or from the options: name the ones the user gave.
        const given = ['--expect', '--enable', '--disable', '--mode'].filter(
          (_, i) => [o.expect, o.enable.length, o.disable.length, o.mode][i],
        );
        const expect = o.expect ? forOption(given.join('/'), build) : build();
        const payload = buildApproval(challenge, {
          now: Date.now(),
          expect,
          method,
          ...(o.notAfter ? { notAfter: o.notAfter } : {}),
          ...(o.urgent ? { urgent: true } : {}),
        });
        // An approval has no requester: the change was asked for on the router; every signer approves.
        await (wantsPublish(o)
          ? signAndPublish(TYP.approval, payload, key, target)
          : emit(TYP.approval, payload, key, target));
      }),
    );
}
