import type { ReasonCode } from '../mqtt/contract.js';
import type { ChangeRequest } from '../trust/messages.js';
import type { Accepted } from '../trust/verify.js';
import { commitOrder, type Prepared } from './flows/before-start.js';
import type { OperationSlot } from './operation-slot.js';
import type { OwnUpdates } from './own-update.js';

export type StartVerdict = { ok: true } | { ok: false; code: ReasonCode; message: string };

export interface OrderStartDeps {
  router: string;
  slot: OperationSlot;
  /** Why orders are refused (not the paired unit), if they are. */
  quarantine: () => string | undefined;
  own: Pick<OwnUpdates, 'refusal'>;
  /** Reconnect at once rather than after the rest of a backoff: the order needs the router. */
  connectNow: () => Promise<void>;
}

/** Why nothing can start now, before anything is checked or used; undefined when something can. */
function refusedNow(deps: OrderStartDeps): StartVerdict | undefined {
  const quarantine = deps.quarantine();
  if (quarantine) return { ok: false, code: 'router-identity-changed', message: quarantine };
  const ownPending = deps.own.refusal();
  if (ownPending) return ownPending;
  if (deps.slot.busy)
    return {
      ok: false,
      code: 'busy',
      message: `router ${deps.router} has an operation in progress; nothing was done, send the order again later`,
    };
  return undefined;
}

/**
 * Starts a verified order only when it can really start: not quarantined, no update of ours
 * pending, not busy, its checks passed, its nonce, id and rate budget recorded. A refusal
 * before that has used nothing, so the same bytes work once the cause is gone. Nothing else
 * starts while it checks (it holds the operation slot).
 */
export async function startOrder<P>(
  deps: OrderStartDeps,
  accepted: Pick<Accepted<ChangeRequest>, 'commit'>,
  check: () => Promise<Prepared<P>>,
  flow: (value: P) => Promise<void>,
): Promise<StartVerdict> {
  const refused = refusedNow(deps);
  if (refused) return refused;
  const release = deps.slot.hold();
  try {
    await deps.connectNow();
    const prepared = await check();
    if (!prepared.ok) return prepared;
    const committed = await commitOrder(accepted);
    if (!committed.ok) return committed;
    deps.slot.run(() => flow(prepared.value));
    return { ok: true };
  } finally {
    release();
  }
}
