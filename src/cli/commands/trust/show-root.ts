import type { RootPayload } from '../../../trust/root-schema.js';

/** Identities, their roles and keys, thresholds (people) and rules, as `trust show` prints them. */
export function showRoot(payload: Pick<RootPayload, 'version' | 'identities' | 'thresholds' | 'rules'>): void {
  console.log(`trust root v${payload.version}`);
  for (const identity of payload.identities) {
    console.log(`  ${identity.name.padEnd(12)} ${identity.roles.join(', ')}`);
    for (const key of identity.keys) {
      const sk = key.kind === 'ssh' && key.publicKey.startsWith('sk-') ? ' (security key)' : '';
      const pin = key.kind === 'ssh' && key.verifyRequired ? ' verify-required' : '';
      console.log(`    key ${key.kind} ${key.keyId}${sk}${pin}`);
    }
  }
  for (const role of ['root', 'approver'] as const) {
    const holders = payload.identities.filter((i) => i.roles.includes(role)).length;
    console.log(`  ${role}: ${payload.thresholds[role]} of ${holders} people`);
  }
  const requesters = payload.identities.filter((i) => i.roles.includes('requester'));
  console.log(
    `  requesters (their signatures never count as approvals): ${requesters.map((i) => i.name).join(', ') || 'none'}`,
  );
  const rules = payload.rules ?? {};
  for (const [f, n] of Object.entries(rules.features ?? {})) console.log(`  rule: turning on ${f} needs ${n}`);
  for (const [m, n] of Object.entries(rules.modes ?? {})) console.log(`  rule: mode ${m} needs ${n}`);
  if (rules.flaggedClear) console.log(`  rule: flagged=no needs ${rules.flaggedClear}`);
  if (rules.powerCycle) console.log(`  rule: power cycle needs ${rules.powerCycle}`);
}
