import { SSH_REFUSAL_REASONS } from './ssh/reasons.js';

/**
 * Every way a signed message or trust root can be refused. The code is for machines
 * (agent events, tests, exit reasons); the detail says to a human exactly what failed.
 */
export const REFUSAL_REASONS = [
  'too-large',
  'malformed',
  'unprotected-header',
  'bad-alg',
  'bad-typ',
  'b64-forbidden',
  'crit-forbidden',
  'bad-header',
  'unknown-key',
  'bad-signature',
  'duplicate-signer',
  'bad-payload',
  'wrong-kind',
  'wrong-agent',
  'wrong-router',
  'digest-mismatch',
  'requester-signature-missing',
  'requester-cannot-approve',
  'requester-unknown',
  'too-few-approvers',
  'clock-unsynced',
  'not-yet-valid',
  'expired',
  'window-too-long',
  'issued-in-future',
  'wrong-challenge',
  'nonce-stale',
  'replayed',
  'policy-feature',
  'policy-mode',
  'policy-flagged',
  'policy-method',
  'rate-limited',
  'root-invalid',
  'root-threshold',
  'root-rotation-threshold',
  'root-rollback',
  'root-version-gap',
  'root-version-conflict',
  'root-outdated',
  'key-file',
  ...SSH_REFUSAL_REASONS,
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Refusal {
  ok: false;
  reason: RefusalReason;
  detail: string;
}

/** Thrown inside the trust code; verifiers turn it into a `Refusal` at their boundary. */
export class TrustError extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'TrustError';
  }

  toRefusal(): Refusal {
    return { ok: false, reason: this.reason, detail: this.detail };
  }
}

export function refuse(reason: RefusalReason, detail: string): never {
  throw new TrustError(reason, detail);
}

/** Runs a verifier body; TrustErrors become refusals, anything else is a bug and rethrows. */
export async function asVerdict<T extends { ok: true }>(run: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TrustError) return error.toRefusal();
    throw error;
  }
}
