import { addKey, initRoot } from '../trust/root-edit.js';
import { cosignEnvelope, signPayload } from '../trust/jws.js';
import { generateSigningKey, type SigningKey } from '../trust/keys.js';
import { TYP, type Challenge } from '../trust/messages.js';
import {
  buildApproval,
  buildChange,
  buildChangeRequest,
  buildPowerCycle,
  type ChangeOptions,
} from '../trust/drafts.js';
import type { RouterRef } from '../trust/messages.js';

/**
 * A small operator team for the demo and end-to-end tests: two root holders (2-of-2 to
 * rotate the trust root), three approvers (2-of-3), and the automation ops-bot, an identity
 * with the requester role only: it signs requests, and no key of it ever counts as an
 * approval. Messages are built and signed with the same code the operator CLI uses.
 */
export class OperatorTeam {
  readonly roots = [generateSigningKey('root-1'), generateSigningKey('root-2')];
  readonly approvers = [generateSigningKey('alice'), generateSigningKey('bob'), generateSigningKey('carol')];
  readonly requester = generateSigningKey('ops-bot');
  /** A second key of alice (a backup key): the same person, so it never makes her count twice. */
  readonly aliceBackup = generateSigningKey('alice-backup');
  /** Not in the trust root: what an attacker with broker access has. */
  readonly mallory = generateSigningKey('mallory');

  async trustRootText(): Promise<string> {
    const team = initRoot({
      rootKeys: this.roots,
      approverKeys: this.approvers,
      requesterKeys: [this.requester],
      rootThreshold: 2,
      approverThreshold: 2,
      suggestedRules: true,
    });
    const payload = addKey(team, this.aliceBackup, [], { identity: this.approvers[0]!.name, samePerson: true });
    let envelope = await signPayload(payload, TYP.root, this.roots[0]);
    envelope = await cosignEnvelope(envelope, TYP.root, this.roots[1]!);
    return JSON.stringify(envelope);
  }

  /** A change request by the requester, co-signed by `approvers` (default alice and bob). */
  async changeRequest(options: {
    agent: string;
    router: RouterRef;
    change: ChangeOptions;
    method: 'button' | 'power';
    activationTimeoutSeconds?: number;
    approvers?: SigningKey[];
    requestId?: string;
  }): Promise<string> {
    const payload = buildChangeRequest({
      agent: options.agent,
      router: options.router,
      requester: { name: this.requester.name, keyId: this.requester.keyId },
      now: Date.now(),
      change: buildChange(options.change),
      method: options.method,
      activationTimeoutSeconds: options.activationTimeoutSeconds ?? 300,
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
    return this.sign(payload, TYP.request, [this.requester, ...(options.approvers ?? this.approvers.slice(0, 2))]);
  }

  async approval(
    challenge: Challenge,
    options: { expect: ChangeOptions; method: 'button' | 'power'; approvers?: SigningKey[] },
  ): Promise<string> {
    const payload = buildApproval(challenge, {
      now: Date.now(),
      expect: buildChange(options.expect),
      method: options.method,
    });
    return this.sign(payload, TYP.approval, options.approvers ?? this.approvers.slice(0, 2));
  }

  async powerCycle(options: {
    agent: string;
    router: RouterRef;
    reason: 'hung' | 'reset-attempt-count';
    approvers?: SigningKey[];
    /** Cut even with a pending change: the device-mode expected afterwards (relative to the last verified one). */
    acceptPending?: { expect?: ChangeOptions };
  }): Promise<string> {
    const pending = options.acceptPending;
    const payload = buildPowerCycle({
      agent: options.agent,
      router: options.router,
      requester: { name: this.requester.name, keyId: this.requester.keyId },
      now: Date.now(),
      reason: options.reason,
      ...(pending ? { acceptPending: pending.expect ? { expect: buildChange(pending.expect) } : {} } : {}),
    });
    return this.sign(payload, TYP.powerCycle, [this.requester, ...(options.approvers ?? this.approvers.slice(0, 2))]);
  }

  async sign(payload: unknown, typ: string, keys: SigningKey[]): Promise<string> {
    const [first, ...rest] = keys;
    let envelope = await signPayload(payload, typ, first);
    for (const key of rest) envelope = await cosignEnvelope(envelope, typ, key);
    return JSON.stringify(envelope);
  }
}
