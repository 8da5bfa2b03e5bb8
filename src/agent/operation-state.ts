/**
 * The states of one operation on one router, as published over MQTT. One operation per
 * router at a time; the transitions below are the only legal ones, so a bug that tries
 * to skip verification or to actuate twice fails loudly instead of acting.
 */
export const OPERATION_STATES = [
  'idle',
  'requesting',
  'pending',
  'pending-observed',
  'challenged',
  'actuating',
  'rebooting',
  'verifying',
  'done',
  'failed',
  'cancelled',
  'expired',
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

export const FINAL_STATES: ReadonlySet<OperationState> = new Set(['done', 'failed', 'cancelled', 'expired']);

const TRANSITIONS: Record<OperationState, readonly OperationState[]> = {
  // An operation can end before its first step: its first record could not be written
  // (failed, state-unwritable), or the agent restarted right after writing it (cancelled).
  idle: ['requesting', 'pending-observed', 'actuating', 'failed', 'cancelled'],
  requesting: ['pending', 'failed', 'cancelled'],
  pending: ['actuating', 'failed', 'cancelled', 'expired'],
  'pending-observed': ['challenged', 'failed', 'cancelled', 'expired'],
  challenged: ['actuating', 'failed', 'cancelled', 'expired'],
  actuating: ['rebooting', 'failed'],
  rebooting: ['verifying', 'failed'],
  verifying: ['done', 'failed'],
  done: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: OperationState,
    readonly to: OperationState,
  ) {
    super(`illegal operation transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: OperationState, to: OperationState): void {
  if (!TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(from, to);
}

export function isFinal(state: OperationState): boolean {
  return FINAL_STATES.has(state);
}
