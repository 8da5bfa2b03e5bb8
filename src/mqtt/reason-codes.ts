/**
 * The reason codes: the one vocabulary of refusals, alarms and operation outcomes, part of the
 * MQTT contract (src/mqtt/contract.ts re-exports them).
 */
import { OPERATION_STATES } from '../agent/operation-state.js';

/* ---------- reason codes: the one vocabulary ---------- */

/**
 * Every code the agent can put in an answer's `error.code` or an event's `code`, listed
 * once. The trust code's `refuse()`, the agent's alarms and failures, the CLI and the
 * docs take their codes from here; the answer and event schemas accept nothing else, so
 * a code not listed here fails every test that reads the agent's output with the
 * contract (and test/trust/reason-codes.test.ts scans the source). Adding a code is
 * one line in the list it belongs to.
 */
/** Refusals of a signed message or a trust root (src/trust), before anything is done. */
export const REFUSAL_CODES = [
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
  // SSH and security-key (FIDO) signatures: docs/hardware-keys.md says when each applies.
  'ssh-key-mismatch',
  'ssh-key-type-mismatch',
  'ssh-wrong-namespace',
  'ssh-wrong-application',
  'sk-presence-missing',
  'sk-verification-missing',
  'sk-counter-replayed',
  // Maintenance windows (docs/maintenance-windows.md).
  'outside-site-window',
  'urgent-too-few-approvers',
  'not-scheduled',
  'schedule-full',
  // Campaigns and releases (issue 12): docs/rollouts.md.
  'not-in-campaign',
  'release-unauthorized',
  'release-mismatch',
  'not-released',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Alarm and security codes the agent raises; operators may alert on them. */
export const ALARM_CODES = [
  'router-flagged',
  'attempt-count-rose',
  'attempts-exhausted',
  'router-identity-changed',
  'router-not-back',
  'clock-unsynced',
  'device-mode-mismatch',
  'attempt-count-changed',
  'signature-invalid',
  'replay',
  'too-late',
  'policy-refused',
  'actuator-failed',
  'state-unwritable',
  'audit-damaged',
  'state-writable',
  'router-connection-problem',
  'retained-order',
  'revert-request',
  'pending-change',
  'no-baseline',
  'own-update-pending',
  'schedule-clock-unsynced',
  'schedule-router-changed',
] as const;
export type AlarmCode = (typeof ALARM_CODES)[number];

/** Why an accepted order could not start, or its operation failed or was cancelled. */
export const OPERATION_CODES = [
  'busy',
  'actuator-busy',
  'actuator-failed',
  'actuator-unavailable',
  'router-unreachable',
  'no-baseline',
  'not-confirmed',
  'identity-changed',
  'identity-unknown',
  'state-unwritable',
  'update-pending',
  'update-sent',
  'update-progress',
  'update-confirmed',
  'update-cancelled',
  'update-rejected',
  'update-failed',
  'update-aborted',
  'update-connection-dropped',
  'order-scheduled',
  'schedule-cancelled',
] as const;

/** `operation-<state>`: the code of a progress event without an error. */
export const PROGRESS_CODES = OPERATION_STATES.map((state) => `operation-${state}` as const);

export const REASON_CODES = [...new Set([...REFUSAL_CODES, ...ALARM_CODES, ...OPERATION_CODES, ...PROGRESS_CODES])] as [
  ReasonCode,
  ...ReasonCode[],
];
export type ReasonCode = RefusalCode | AlarmCode | (typeof OPERATION_CODES)[number] | (typeof PROGRESS_CODES)[number];

export function isReasonCode(code: unknown): code is ReasonCode {
  return typeof code === 'string' && (REASON_CODES as readonly string[]).includes(code);
}
