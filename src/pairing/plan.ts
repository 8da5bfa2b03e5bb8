import { judgePairing, type PairingRecord, type UnitIdentity } from './paired-unit.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import type { RouterIdentity } from '../routeros/parse.js';

/** What `dmconfirm pair` does for one router, decided before anything is written. */
export type PairPlan =
  | { action: 'record'; record: PairingRecord; message: string }
  | { action: 'unchanged'; record: PairingRecord; message: string }
  | { action: 're-pair'; record: PairingRecord; previous: PairingRecord; message: string }
  | { action: 'refuse'; message: string };

export interface PairInput {
  router: string;
  seen: RouterIdentity;
  configured: UnitIdentity;
  recorded: PairingRecord | undefined;
  now: Date;
  /** --accept: the operator swapped the unit on purpose. */
  accept: boolean;
  /** For the messages: the configuration file and the router's index in it. */
  configFile: string;
  index: number;
}

function unitOf(identity: UnitIdentity): string {
  if (identity.serial) return `serial ${identity.serial}`;
  if (identity.systemId) return `system-id ${identity.systemId}`;
  return 'an unknown unit';
}

/**
 * Pairing decided by the agent's own rule (judgePairing). A unit that differs from the
 * recorded one is re-paired only with --accept; one that differs from the configuration
 * never is: the configuration is the operator's statement, and only editing it changes it.
 */
export function planPairing(input: PairInput): PairPlan {
  const { router, seen, configured, recorded, now } = input;
  const verdict = judgePairing(seen, configured, recorded, now);
  if (verdict.ok && !verdict.firstContact)
    return {
      action: 'unchanged',
      record: verdict.record,
      message: `${router}: already paired with ${unitOf(verdict.record)} since ${verdict.record.pairedAt}`,
    };
  if (verdict.ok)
    return { action: 'record', record: verdict.record, message: `${router}: paired with ${unitOf(verdict.record)}` };
  if (verdict.reason === 'identity-unknown')
    return {
      action: 'refuse',
      message: `${router}: refused: ${verdict.detail}; cannot pair a unit that does not identify itself`,
    };
  if (configured.serial || configured.systemId) {
    return {
      action: 'refuse',
      message:
        `${router}: refused: ${verdict.detail}. If this unit is the right one, change ` +
        `routers[${input.index}].identity in ${input.configFile}; --accept does not override the configuration`,
    };
  }
  if (!input.accept || !recorded) {
    return {
      action: 'refuse',
      message:
        `${router}: refused: ${verdict.detail}. A swapped unit, a wrong address or a man in the ` +
        `middle looks like this. If you replaced the router on purpose, run again with --accept`,
    };
  }
  const record: PairingRecord = {
    serial: seen.serial,
    systemId: seen.systemId,
    model: seen.model,
    pairedAt: now.toISOString(),
  };
  return {
    action: 're-pair',
    record,
    previous: recorded,
    message: `${router}: re-paired: was ${unitOf(recorded)}, now ${unitOf(record)} (--accept)`,
  };
}

/** What was found on one router, one fact per line, for the operator to compare with the label on the box. */
export function describeUnit(
  router: string,
  host: string,
  identity: RouterIdentity,
  mode: DeviceModeState | undefined,
): string[] {
  const lines = [
    `${router} (${host}):`,
    `  identity      ${identity.name}`,
    `  model         ${identity.model ?? identity.boardName}`,
    identity.serial ? `  serial        ${identity.serial}` : `  system-id     ${identity.systemId ?? '(none)'}`,
    `  RouterOS      ${identity.version}`,
  ];
  if (mode) {
    lines.push(
      `  device-mode   ${mode.mode}`,
      `  attempt-count ${mode.attemptCount}`,
      `  flagged       ${mode.flagged ? 'YES: RouterOS saw signs of tampering at boot' : 'no'}`,
    );
  } else {
    lines.push('  device-mode   (could not be read)');
  }
  return lines;
}

/** The audit entry of a pairing change; nothing for "unchanged" or "refuse". */
export function pairingAuditEntry(
  router: string,
  plan: PairPlan,
): { type: string; data: Record<string, unknown> } | undefined {
  if (plan.action === 'record') return { type: 'paired', data: { router, ...plan.record, by: 'dmconfirm pair' } };
  if (plan.action === 're-pair')
    return {
      type: 're-paired',
      data: { router, previous: plan.previous, record: plan.record, by: 'dmconfirm pair --accept' },
    };
  return undefined;
}

/** 0 when every router is paired (newly or already), 1 when any was refused or unreachable. */
export function pairExitCode(outcomes: ReadonlyArray<PairPlan['action'] | 'unreachable'>): 0 | 1 {
  return outcomes.some((o) => o === 'refuse' || o === 'unreachable') ? 1 : 0;
}
