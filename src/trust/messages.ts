import { z } from 'zod';
import { deviceModeChangeSchema } from './change.js';

/** Each message kind has its own JWS `typ`, so a signature for one kind never passes as another. */
export const TYP = {
  request: 'dmconfirm-request+jws',
  approval: 'dmconfirm-approval+jws',
  powerCycle: 'dmconfirm-powercycle+jws',
  root: 'dmconfirm-root+jws',
} as const;

const id = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'must be 8-128 letters, digits or _.:-');
const agentId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an agent id');
const timestamp = z.iso.datetime({ offset: true });

/** A router by its routerboard serial or (CHR) license system id: exactly one of them. */
export const routerRefSchema = z
  .strictObject({ serial: z.string().min(1).max(64).optional(), systemId: z.string().min(1).max(64).optional() })
  .refine((r) => (r.serial === undefined) !== (r.systemId === undefined), { message: 'give exactly one of serial, systemId' });
export type RouterRef = z.infer<typeof routerRefSchema>;

export const windowSchema = z
  .strictObject({ notBefore: timestamp.optional(), notAfter: timestamp.optional() })
  .refine((w) => w.notBefore !== undefined || w.notAfter !== undefined, { message: 'a window needs notBefore or notAfter' })
  .refine((w) => !w.notBefore || !w.notAfter || Date.parse(w.notBefore) < Date.parse(w.notAfter), {
    message: 'notBefore must be before notAfter',
  });
export type Window = z.infer<typeof windowSchema>;

export const requesterSchema = z.strictObject({
  name: z.string().min(1).max(64),
  /** When present, a valid signature by this key must be on the message; it never counts as an approval. */
  keyId: z.string().min(1).max(128).optional(),
});

/** Binds a message to one challenge the agent issued (freshness without wall time). */
export const challengeRefSchema = z.strictObject({ challengeId: id, nonce: z.string().regex(/^[A-Za-z0-9_-]{22,128}$/) });

const observedSchema = z.strictObject({ attemptCount: z.number().int().min(0).max(1000), at: timestamp });

const common = {
  v: z.literal(1),
  requestId: id,
  agent: agentId,
  router: routerRefSchema,
  requester: requesterSchema,
  issuedAt: timestamp,
  window: windowSchema.optional(),
};

/** 1. dmconfirm itself issues this update on the router, then confirms it. */
export const changeRequestSchema = z.strictObject({
  ...common,
  kind: z.literal('change-request'),
  change: deviceModeChangeSchema,
  digest: z.string(),
  method: z.enum(['button', 'power']),
  activationTimeoutSeconds: z.number().int().min(10).max(86_400),
  challenge: challengeRefSchema.optional(),
});
export type ChangeRequest = z.infer<typeof changeRequestSchema>;

/** 2. Someone else requested a change; approvers confirm the one the agent observed. */
export const approvalSchema = z.strictObject({
  ...common,
  kind: z.literal('approval'),
  challenge: challengeRefSchema.extend({ observed: observedSchema }),
  /** The change the approvers believe is pending; the agent checks the read-back against it. */
  expect: deviceModeChangeSchema,
  digest: z.string(),
  method: z.enum(['button', 'power']),
});
export type Approval = z.infer<typeof approvalSchema>;

/**
 * 3. A plain power cycle: a hung router, or resetting an exhausted attempt-count. A cold
 * boot confirms whatever change is pending, so the order states the device-mode approvers
 * accept afterwards: by default exactly the agent's last verified one. `acceptPending` lets
 * it cut while attempt-count shows a pending change, expecting that one changed by `expect`
 * (checked like a change request: policy, thresholds, digest), or unchanged without it.
 */
export const powerCycleSchema = z.strictObject({
  ...common,
  kind: z.literal('power-cycle'),
  reason: z.enum(['hung', 'reset-attempt-count']),
  /** Without `expect`: a pending attempt may be confirmed, but must leave the device-mode as last verified. */
  acceptPending: z
    .strictObject({ expect: deviceModeChangeSchema.optional(), digest: z.string().optional() })
    .refine((a) => (a.expect === undefined) === (a.digest === undefined), { message: 'expect and digest go together' })
    .optional(),
  note: z.string().max(500).optional(),
  challenge: challengeRefSchema.optional(),
});
export type PowerCycle = z.infer<typeof powerCycleSchema>;

export type SignedMessage = ChangeRequest | Approval | PowerCycle;

/** What the agent publishes for a pending operation; approvals must quote it exactly. */
export const challengeSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('challenge'),
  challengeId: id,
  nonce: challengeRefSchema.shape.nonce,
  agent: agentId,
  router: routerRefSchema,
  /** What the agent saw: the attempt-count rise that says someone requested a change. */
  observed: observedSchema.optional(),
  issuedAt: timestamp,
});
export type Challenge = z.infer<typeof challengeSchema>;
