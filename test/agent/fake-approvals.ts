// An approval port the test scripts (src/agent/approval-desk.ts), and the messages it hands out.
import type { ApprovalPort, TakenApproval, VerifiedApproval } from '../../src/agent/approval-desk.js';
import type { DeviceModeChange } from '../../src/routeros/device-mode.js';
import type { Approval, Challenge } from '../../src/trust/messages.js';
import type { Accepted } from '../../src/trust/verify.js';

export function challengeFor(observed: Challenge['observed'], challengeId = 'chal-1'): Challenge {
  return {
    v: 1,
    kind: 'challenge',
    challengeId,
    nonce: 'nonce-1',
    agent: 'pi',
    router: { serial: 'HF0001' },
    ...(observed ? { observed } : {}),
    issuedAt: new Date().toISOString(),
  };
}

/** A verified approval of `challenge`; `commit` counts into `commits` (or does what `commit` says). */
export function approvalOf(
  challenge: Challenge,
  options: {
    expect?: DeviceModeChange;
    method?: 'button' | 'power';
    commit?: () => Promise<void>;
    commits?: string[];
  } = {},
): Accepted<Approval> {
  const message: Approval = {
    v: 1,
    kind: 'approval',
    agent: 'pi',
    router: { serial: 'HF0001' },
    requestId: `approval-${challenge.challengeId}`,
    issuedAt: new Date().toISOString(),
    challenge: {
      challengeId: challenge.challengeId,
      nonce: challenge.nonce,
      observed: challenge.observed ?? { attemptCount: 1, at: challenge.issuedAt },
    },
    expect: options.expect ?? { features: { container: true } },
    digest: 'change-digest',
    method: options.method ?? 'button',
  };
  const commit = options.commit ?? (() => Promise.resolve());
  return {
    ok: true,
    message,
    approverNames: ['alice', 'bob'],
    signerKeyIds: ['k1', 'k2'],
    requirement: { required: 2, because: ['approver threshold 2'] },
    commit: async () => {
      await commit();
      options.commits?.push(message.requestId);
    },
  };
}

/**
 * Records what the flow asked; `answer` decides what `next` gives (default: nothing in time).
 * An answer without `recorded` is recorded at once.
 */
export class FakeApprovals implements ApprovalPort {
  readonly opened: Array<Challenge['observed']> = [];
  readonly waits: number[] = [];
  closed = 0;
  challenge: Challenge | undefined;
  answer: (challenge: Challenge) => Promise<(VerifiedApproval & Partial<TakenApproval>) | undefined> = () =>
    Promise.resolve(undefined);

  open(observed: Challenge['observed']): Promise<Challenge> {
    this.opened.push(observed);
    this.challenge = challengeFor(observed);
    return Promise.resolve(this.challenge);
  }

  async next(waitMs: number, signal: AbortSignal): Promise<TakenApproval | undefined> {
    this.waits.push(waitMs);
    if (signal.aborted || !this.challenge) return undefined;
    const answer = await this.answer(this.challenge);
    return answer && { recorded: Promise.resolve(true), ...answer };
  }

  close(): Promise<void> {
    this.closed += 1;
    this.challenge = undefined;
    return Promise.resolve();
  }
}
