import type { Command } from 'commander';
import { buildChange, buildPowerCycle, parseChangeSpec } from '../../trust/drafts.js';
import { TYP } from '../../trust/messages.js';
import { orderChallengeFor } from './order-challenge.js';
import { CliError } from '../cli-error.js';
import { forOption } from '../option-names.js';
import { cliAction, EXIT_INPUT } from './trust/io.js';
import { commonOf, emit, requesterOf, targetOptions } from './trust/request.js';
import type { TargetOptions } from './trust/request.js';
import { publishOptions, signAndPublish, wantsPublish } from './publish.js';
import type { PublishOptions } from './publish.js';

interface PowerCycleOptions extends TargetOptions, PublishOptions {
  reason?: string;
  note?: string;
  freshChallenge?: boolean;
  acceptPending?: string | boolean;
}

export function registerPowerCycle(program: Command): void {
  publishOptions(targetOptions(program.command('powercycle')))
    .description('Sign a plain power cycle of a router (hung, or to reset attempt-count); with --broker, send it')
    .requiredOption('--reason <reason>', 'hung | reset-attempt-count')
    .option('--note <text>', 'why, for the audit log')
    .option(
      '--accept-pending [spec]',
      'cut even though attempt-count shows a pending change; spec: the ' +
        'device-mode expected afterwards, e.g. "container=yes" (none: unchanged)',
    )
    .option('--urgent', "may act outside the site's maintenance windows (needs the site's urgent approver count)")
    .option(
      '--fresh-challenge',
      'with --broker: bind to a fresh challenge from the agent (done by itself when its clock is unsynchronized)',
    )
    .action(
      cliAction(async (o: PowerCycleOptions) => {
        if (o.reason !== 'hung' && o.reason !== 'reset-attempt-count')
          throw new CliError('--reason is hung or reset-attempt-count', EXIT_INPUT);
        const publish = wantsPublish(o);
        const { key, requester } = await requesterOf(o);
        const common = {
          ...(await commonOf(o, requester, Date.now())),
          ...(publish ? await orderChallengeFor(o, key) : {}),
        };
        const pending = o.acceptPending;
        const spec =
          typeof pending === 'string'
            ? { expect: forOption('--accept-pending', () => buildChange(parseChangeSpec(pending))) }
            : {};
        const accept = o.acceptPending === undefined ? {} : { acceptPending: spec };
        const payload = buildPowerCycle({
          ...common,
          reason: o.reason,
          ...(o.note ? { note: o.note } : {}),
          ...accept,
        });
        if (publish) await signAndPublish(TYP.powerCycle, payload, key, o);
        else await emit(TYP.powerCycle, payload, key, o);
      }),
    );
}
