import type { DeviceModeChange } from '../routeros/device-mode.js';
import { featuresTurnedOn } from './change.js';
import type { VerifiedEnvelope } from './jws.js';
import type { PublicKeyInfo } from './keys.js';
import type { Requester } from './messages.js';
import { refuse } from './refusal.js';
import type { Person, TrustRoot } from './trust-root.js';

export interface Requirement {
  required: number;
  /** Why that many, for humans: "approver threshold 1", "socks needs 2". */
  because: string[];
}

/** Approvals (people) needed: the approver threshold, raised by any rule the subject triggers. */
export function requiredApprovals(
  root: TrustRoot,
  subject: { change: DeviceModeChange } | { powerCycle: true },
): Requirement {
  const base = root.threshold('approver');
  const reasons: Array<[number, string]> = [[base, `approver threshold ${base}`]];
  const rules = root.model.rules ?? {};
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
 * The requester is an identity with the `requester` role, and one of its keys (the one
 * named by `keyId`, when given) signed the message. Returns that identity, whose keys
 * then never count toward approval.
 */
export function checkRequester(root: TrustRoot, verified: VerifiedEnvelope, requester: Requester): Person {
  const person = root.person(requester.name);
  if (!person?.roles.has('requester')) {
    refuse(
      'requester-unknown',
      `requester "${requester.name}" is not an identity with the requester role in trust root v${root.version}`,
    );
  }
  if (requester.keyId !== undefined && !person.keyIds.has(requester.keyId)) {
    refuse('requester-unknown', `key ${requester.keyId} is not a key of requester ${person.name}`);
  }
  const signed = verified.signers.some((s) =>
    requester.keyId === undefined ? person.keyIds.has(s.keyId) : s.keyId === requester.keyId,
  );
  if (!signed) {
    const which = requester.keyId === undefined ? 'any key of' : `key ${requester.keyId} of`;
    refuse(
      'requester-signature-missing',
      `the message names requester ${person.name} but carries no valid signature by ${which} it`,
    );
  }
  return person;
}

/**
 * Counts distinct approver identities (people) among the verified signers. No key of the
 * requester ever counts, and a person counts once however many of their keys signed; the
 * refusal names who did not count and why.
 */
export function countApprovers(
  root: TrustRoot,
  signers: PublicKeyInfo[],
  requester: Person | undefined,
  need: Requirement,
): string[] {
  const counted = new Set<string>();
  const notes = new Set<string>();
  let duplicate = false;
  let requesterApproves = false;
  for (const signer of signers) {
    const person = root.ownerOf(signer.keyId);
    if (!person) continue; // verifyEnvelope already refused keys the root does not hold
    if (person === requester) {
      if (person.roles.has('approver')) requesterApproves = true;
      notes.add(`${person.name} (the requester)`);
    } else if (!person.roles.has('approver')) {
      notes.add(`${person.name} (not an approver)`);
    } else if (counted.has(person.name)) {
      duplicate = true;
      notes.add(`${person.name} (again)`);
    } else {
      counted.add(person.name);
    }
  }
  if (counted.size >= need.required) return [...counted];
  const detail =
    `${counted.size} of ${need.required} approvals (${need.because.join(', ')}); ` +
    `counted: ${[...counted].join(', ') || 'none'}` +
    (notes.size > 0 ? `; not counted: ${[...notes].join(', ')}` : '');
  if (requesterApproves && counted.size + 1 >= need.required)
    refuse('requester-cannot-approve', `the requester's own signature never counts: ${detail}`);
  if (duplicate) refuse('duplicate-signer', `a person counts once however many keys sign: ${detail}`);
  return refuse('too-few-approvers', detail);
}
