/**
 * The approval's way to the flow waiting for it. An approval is verified at the door
 * (inbound → trust gate); the supervisor hands it here (deliver), and the observed flow,
 * which opened the challenge it quotes, takes it from here (next). One challenge at a time
 * per router; an approval is recorded as used (nonce, id, rate budget) only when the flow
 * takes it, so one refused here has used nothing. The flow reads the router while that
 * record is written, and acts only once it is durable (`recorded`).
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

/** An approval the flow has taken: it may read the router now, and act only once `recorded` is true. */
export interface TakenApproval extends VerifiedApproval {
  /**
   * True once the approval is durably recorded as used; false when recording refused it
   * (the sender got the reason) or the state directory failed: the challenge then takes
   * approvals again, and the flow waits for the next one.
   */
  recorded: Promise<boolean>;
}

/** What the observed flow does about approvals: open a challenge, take the next verified approval, close. */
export interface ApprovalPort {
  /** Opens the challenge for this observation (superseding an earlier one); publish it. */
  open(observed: Challenge['observed']): Promise<Challenge>;
  /**
   * The first verified approval quoting the open challenge, or undefined when none came
   * within `waitMs` or `signal` aborted. Either way no approval is taken after that.
   */
  next(waitMs: number, signal: AbortSignal): Promise<TakenApproval | undefined>;
  /** Closes the challenge: its nonce is discarded; approvals quoting it are refused. */
  close(): Promise<void>;
}

export type Delivery = { ok: true } | { ok: false; code: ReasonCode; message: string };

/** The one approval a challenge can take: resolved with it, or with undefined when closed first. */
interface Waiter {
  readonly taken: Promise<TakenApproval | undefined>;
  settle: (taken: TakenApproval | undefined) => void;
  /** Still taking: no approval yet, not closed. */
  open: boolean;
}

function waiter(): Waiter {
  let resolve: (taken: TakenApproval | undefined) => void = () => undefined;
  const taken = new Promise<TakenApproval | undefined>((r) => (resolve = r));
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

  async next(waitMs: number, signal: AbortSignal): Promise<TakenApproval | undefined> {
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
   * A verified approval: the flow waiting on the challenge it quotes takes it and wakes at
   * once, while the approval is recorded as used (nonce, id, rate budget: one durable
   * write); the flow acts only once that is done. Refused with nothing used when no flow
   * waits on that challenge. A refused record (a race lost) is passed on, and a
   * StateWriteError propagates; either way the challenge takes approvals again.
   */
  deliver(approval: Accepted<Approval>, digest: string): Promise<Delivery> {
    const quoted = approval.message.challenge.challengeId;
    const current = this.#waiter;
    if (!current?.open || this.#challenge?.challengeId !== quoted) {
      return Promise.resolve({
        ok: false,
        code: 'wrong-challenge',
        message: `router ${this.router} is not waiting on challenge ${quoted} (closed, or another approval was taken)`,
      });
    }
    const recording = commitOrder(approval);
    const recorded = recording.then(
      (result) => result.ok || this.retake(current),
      () => this.retake(current),
    );
    current.settle({ approval, digest, recorded });
    return recording.then((result): Delivery => (result.ok ? { ok: true } : result));
  }

  /** The taken approval was not recorded: the same challenge takes the next one (if still open). */
  private retake(taken: Waiter): false {
    if (this.#waiter === taken && this.#challenge) this.#waiter = waiter();
    return false;
  }

  private stopTaking(): void {
    if (this.#waiter?.open) this.#waiter.settle(undefined);
  }
}
