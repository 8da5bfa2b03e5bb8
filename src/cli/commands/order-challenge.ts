import { describeOrderChallenge, freshOrderChallenge } from '../../operator/fresh-challenge.js';
import { EXIT } from '../../operator/progress.js';
import { routerRef } from '../../trust/drafts.js';
import type { Signer } from '../../trust/jws.js';
import type { Challenge } from '../../trust/messages.js';
import { CliError } from '../cli-error.js';
import { brokerOf, requireKeyToPublish, seconds, type PublishOptions } from './publish.js';
import type { TargetOptions } from './trust/request.js';

/**
 * With --broker and no --challenge: when the agent's status says its clock is not
 * synchronized (or --fresh-challenge), ask it for an order challenge and bind to it.
 */
export async function orderChallengeFor(
  o: TargetOptions & PublishOptions & { freshChallenge?: boolean },
  key: Signer | undefined,
): Promise<{ challenge?: Challenge }> {
  // Only a message that can be signed is worth a broker round trip: refused before connecting.
  requireKeyToPublish(key);
  if (o.broker === undefined || o.site === undefined || o.challenge !== undefined || o.dryRun) return {};
  const timeoutMs = seconds(o.connectTimeout, '--connect-timeout') * 1000;
  const settings = brokerOf({ ...o, broker: o.broker }, 'challenge');
  const fresh = await freshOrderChallenge(settings, {
    base: o.base,
    site: o.site,
    agent: o.agent,
    router: routerRef(o),
    always: o.freshChallenge === true,
    timeoutMs,
  }).catch((error: unknown) => {
    throw new CliError(error instanceof Error ? error.message : String(error), EXIT.unreachable);
  });
  if (!fresh) return {};
  for (const line of describeOrderChallenge(fresh)) console.log(line);
  return { challenge: fresh.challenge };
}
