import type { Command } from 'commander';
import { buildCancel } from '../../trust/drafts.js';
import { TYP } from '../../trust/messages.js';
import { orderChallengeFor } from './order-challenge.js';
import { cliAction } from './trust/io.js';
import { commonOf, emit, requesterOf, targetOptions } from './trust/request.js';
import type { TargetOptions } from './trust/request.js';
import { publishOptions, signAndPublish, wantsPublish } from './publish.js';
import type { PublishOptions } from './publish.js';

interface CancelOptions extends TargetOptions, PublishOptions {
  note?: string;
  freshChallenge?: boolean;
}

/** `dmconfirm cancel <request-id>`: a signed cancel of an order waiting for its window (docs/maintenance-windows.md).
 * */
export function registerCancel(program: Command): void {
  publishOptions(targetOptions(program.command('cancel')))
    .description(
      'Sign a cancel of a scheduled order before its window opens ' +
        '(approvers co-sign it, M-of-N); with --broker, send it',
    )
    .argument('<request-id>', 'the request id of the scheduled order (dmconfirm status lists them)')
    .option('--note <text>', 'why, for the audit log')
    .option(
      '--fresh-challenge',
      'with --broker: bind to a fresh challenge from the agent (done by itself when its clock is unsynchronized)',
    )
    .action(
      cliAction(async (requestId: string, o: CancelOptions) => {
        const publish = wantsPublish(o);
        const { key, requester } = await requesterOf(o);
        const common = {
          ...(await commonOf(o, requester, Date.now())),
          ...(publish ? await orderChallengeFor(o, key) : {}),
        };
        const payload = buildCancel({ ...common, cancels: requestId, ...(o.note ? { note: o.note } : {}) });
        if (publish) await signAndPublish(TYP.cancel, payload, key, o);
        else await emit(TYP.cancel, payload, key, o);
      }),
    );
}
