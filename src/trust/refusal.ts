import type { RefusalCode } from '../mqtt/contract.js';

/**
 * Every way a signed message or trust root can be refused: the REFUSAL_CODES of the MQTT
 * contract (src/mqtt/contract.ts), the one list of reason codes. The code is for machines
 * (agent events, tests, exit reasons); the detail says to a human exactly what failed.
 */
export type RefusalReason = RefusalCode;

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
