/**
 * The approval's way to the flow waiting for it. An approval is verified at the door
 * (inbound → trust gate); the supervisor hands it here (deliver), and the observed flow,
 * which opened the challenge it quotes, takes it from here (next). One challenge at a time
 * per router; an approval is recorded as used (nonce, id, rate budget) only when the flow
 * takes it, so one refused here has used nothing.
 */
import type { Challenge, Approval } from '../trust/messages.js';
import type { RouterTrust } from '../trust/trust-gate.js';
import type { Accepted } from '../trust/verify.js';
import type { Clock } from '../time/clock.js';
import type { ReasonCode } from '../mqtt/contract.js';
import { commitOrder } from './flows/before-start.js';

export interface VerifiedApproval {
  approval: Accepted<Approval>;
  /** Digest of the approval's bytes (answers quote it). */
  digest: string;
}

/** What the observed flow does about approvals: open a challenge, take the next verified approval, close. */
export interface ApprovalPort {
  /** Opens the challenge for this observation (superseding an earlier one); publish it. */
  open(observed: Challenge['observed']): Promise<Challenge>;
  /**
   * The first verified approval quoting the open challenge, or undefined when none came
   * within `waitMs` or `signal` aborted. Either way no approval is taken after that.
   */
  next(waitMs: number, signal: AbortSignal): Promise<VerifiedApproval | undefined>;
  /** Closes the challenge: its nonce is discarded; approvals quoting it are refused. */
  close(): Promise<void>;
}

export type Delivery = { ok: true } | { ok: false; code: ReasonCode; message: string };

/** The one approval a challenge can take: resolved with it, or with undefined when closed first. */
interface Waiter {
  readonly taken: Promise<VerifiedApproval | undefined>;
  settle: (taken: VerifiedApproval | undefined) => void;
  /** Still taking: no approval yet, not closed. */
  open: boolean;
}

function waiter(): Waiter {
  let resolve: (taken: VerifiedApproval | undefined) => void = () => undefined;
  const taken = new Promise<VerifiedApproval | undefined>((r) => (resolve = r));
  const w: Waiter = {
    taken,
    open: true,
    settle: (value) => {
      w.open = false;
      resolve(value);
    },
  };
  return w;
}

export class ApprovalDesk implements ApprovalPort {
  #challenge: Challenge | undefined;
  /** Set from the moment the challenge is opened (before it is published): nothing that quotes it is lost. */
  #waiter: Waiter | undefined;

  constructor(
    private readonly router: string,
    private readonly trust: Pick<RouterTrust, 'openApprovalChallenge' | 'close'>,
    private readonly clock: Pick<Clock, 'sleep'>,
  ) {}

  async open(observed: Challenge['observed']): Promise<Challenge> {
    this.stopTaking();
    this.#challenge = await this.trust.openApprovalChallenge(observed);
    this.#waiter = waiter();
    return this.#challenge;
  }

  async next(waitMs: number, signal: AbortSignal): Promise<VerifiedApproval | undefined> {
    const current = this.#waiter;
    if (!this.#challenge) throw new Error('no challenge open');
    if (!current) return undefined;
    const over = new AbortController();
    // Closes the window at once when it ends: an approval delivered after that is refused, not taken.
    void this.clock.sleep(waitMs, AbortSignal.any([signal, over.signal])).then(() => {
      if (current.open) current.settle(undefined);
    });
    const result = await current.taken;
    over.abort();
    return result;
  }

  async close(): Promise<void> {
    this.stopTaking();
    this.#waiter = undefined;
    const challenge = this.#challenge;
    this.#challenge = undefined;
    if (challenge) await this.trust.close(challenge.challengeId);
  }

  /**
   * A verified approval: recorded as used (nonce, id, rate budget) when the flow waiting on
   * the challenge it quotes takes it, then that flow wakes. Refused with nothing used when
   * no flow waits on that challenge; a StateWriteError propagates (the challenge stays open).
   */
  async deliver(approval: Accepted<Approval>, digest: string): Promise<Delivery> {
    const quoted = approval.message.challenge.challengeId;
    const current = this.#waiter;
    if (!current?.open || this.#challenge?.challengeId !== quoted) {
      return {
        ok: false,
        code: 'wrong-challenge',
        message: `router ${this.router} is not waiting on challenge ${quoted} (closed, or another approval was taken)`,
      };
    }
    const committed = await commitOrder(approval);
    if (!committed.ok) return committed;
    if (!current.open || this.#waiter !== current)
      return { ok: false, code: 'too-late', message: `challenge ${quoted} closed while the approval was recorded` };
    current.settle({ approval, digest });
    return { ok: true };
  }

  private stopTaking(): void {
    if (this.#waiter?.open) this.#waiter.settle(undefined);
  }
}
