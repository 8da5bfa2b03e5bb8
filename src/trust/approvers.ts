import type { DeviceModeChange } from '../routeros/device-mode.js';
import { featuresTurnedOn } from './change.js';
import type { PublicKeyInfo } from './keys.js';
import { refuse } from './refusal.js';
import type { TrustRoot } from './trust-root.js';

export interface Requirement {
  required: number;
  /** Why that many, for humans: "approver threshold 1", "socks needs 2". */
  because: string[];
}

/** Approvals needed: the approver threshold, raised by any rule the subject triggers. */
export function requiredApprovals(root: TrustRoot, subject: { change: DeviceModeChange } | { powerCycle: true }): Requirement {
  const base = root.threshold('approver');
  const reasons: Array<[number, string]> = [[base, `approver threshold ${base}`]];
  const rules = root.payload.rules ?? {};
  if ('change' in subject) {
    for (const feature of featuresTurnedOn(subject.change)) {
      const n = rules.features?.[feature];
      if (n !== undefined) reasons.push([n, `${feature} needs ${n}`]);
    }
    const mode = subject.change.mode;
    const modeRule = mode ? rules.modes?.[mode] : undefined;
    if (mode && modeRule !== undefined) reasons.push([modeRule, `mode ${mode} needs ${modeRule}`]);
    if (subject.change.flagged === false && rules.flaggedClear !== undefined) {
      reasons.push([rules.flaggedClear, `flagged=no needs ${rules.flaggedClear}`]);
    }
  } else if (rules.powerCycle !== undefined) {
    reasons.push([rules.powerCycle, `power cycle needs ${rules.powerCycle}`]);
  }
  const required = Math.max(...reasons.map(([n]) => n));
  return { required, because: reasons.filter(([n]) => n === required).map(([, why]) => why) };
}

/**
 * Counts distinct verified approver key ids. The requester's own key never counts and a
 * key counts once however often it signed; the refusal names which of those made it short.
 */
export function countApprovers(root: TrustRoot, signers: PublicKeyInfo[], requesterKeyId: string | undefined, need: Requirement): string[] {
  const approverIds = root.roleKeyIds('approver');
  const counted = new Set<string>();
  const notes: string[] = [];
  let duplicate = false;
  let requesterSigned = false;
  for (const signer of signers) {
    if (signer.keyId === requesterKeyId) {
      requesterSigned = true;
      if (approverIds.has(signer.keyId)) notes.push(`${signer.name} (the requester)`);
    } else if (!approverIds.has(signer.keyId)) {
      notes.push(`${signer.name} (not an approver)`);
    } else if (counted.has(signer.keyId)) {
      duplicate = true;
      notes.push(`${signer.name} (again)`);
    } else {
      counted.add(signer.keyId);
    }
  }
  if (counted.size >= need.required) return [...counted];
  const names = [...counted].map((id) => root.nameOf(id));
  const detail =
    `${counted.size} of ${need.required} approvals (${need.because.join(', ')}); ` +
    `counted: ${names.join(', ') || 'none'}` +
    (notes.length > 0 ? `; not counted: ${notes.join(', ')}` : '');
  const requesterWouldSuffice = requesterSigned && requesterKeyId !== undefined && approverIds.has(requesterKeyId) && counted.size + 1 >= need.required;
  if (requesterWouldSuffice) refuse('requester-cannot-approve', `the requester's own signature never counts: ${detail}`);
  if (duplicate) refuse('duplicate-signer', `a key counts once however often it signs: ${detail}`);
  return refuse('too-few-approvers', detail);
}
