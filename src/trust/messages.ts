import { z } from 'zod';
import { deviceModeChangeSchema } from './change.js';
import { identityName } from './root-schema.js';

/** Each message kind has its own JWS `typ`, so a signature for one kind never passes as another. */
export const TYP = {
  request: 'dmconfirm-request+jws',
  approval: 'dmconfirm-approval+jws',
  powerCycle: 'dmconfirm-powercycle+jws',
  cancel: 'dmconfirm-cancel+jws',
  root: 'dmconfirm-root+jws',
  /** Issue 12: a campaign (approvers, M-of-N) and a release of some of its targets (its coordinator). */
  campaign: 'dmconfirm-campaign+jws',
  release: 'dmconfirm-release+jws',
} as const;

export const id = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'must be 8-128 letters, digits or _.:-');
export const agentId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an agent id');
export const timestamp = z.iso.datetime({ offset: true });

/** Serials and system ids are shown to signers: plain characters only, nothing that could spell other text. */
const routerKey = z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.:-]{0,63}$/, 'must be 1-64 letters, digits or _.:-');

/** A router by its routerboard serial or (CHR) license system id: exactly one of them. */
export const routerRefSchema = z
  .strictObject({ serial: routerKey.optional(), systemId: routerKey.optional() })
  .refine((r) => (r.serial === undefined) !== (r.systemId === undefined), {
    message: 'give exactly one of serial, systemId',
  });
export type RouterRef = z.infer<typeof routerRefSchema>;

/** RouterOS's own bounds for a device-mode update's activation timeout (10s..1d). */
export const ACTIVATION_TIMEOUT_SECONDS = { min: 10, max: 86_400 } as const;

export const windowSchema = z
  .strictObject({ notBefore: timestamp.optional(), notAfter: timestamp.optional() })
  .refine((w) => w.notBefore !== undefined || w.notAfter !== undefined, {
    message: 'a window needs notBefore or notAfter',
  })
  .refine((w) => !w.notBefore || !w.notAfter || Date.parse(w.notBefore) < Date.parse(w.notAfter), {
    message: 'notBefore must be before notAfter',
  });
export type Window = z.infer<typeof windowSchema>;

/**
 * Who asks: an identity of the trust root holding the `requester` role. The message must
 * carry a valid signature by one of that identity's keys, and no signature by any of its
 * keys ever counts toward approval. `keyId`, when given, names which key must have signed.
 */
export const requesterSchema = z.strictObject({
  name: identityName,
  keyId: z.string().min(1).max(128).optional(),
});
export type Requester = z.infer<typeof requesterSchema>;

/** Binds a message to one challenge the agent issued (freshness without wall time). */
export const challengeRefSchema = z.strictObject({
  challengeId: id,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,128}$/),
});

const observedSchema = z.strictObject({ attemptCount: z.number().int().min(0).max(1000), at: timestamp });

const target = {
  v: z.literal(1),
  requestId: id,
  agent: agentId,
  router: routerRefSchema,
  issuedAt: timestamp,
  window: windowSchema.optional(),
  /** Outside the site's maintenance windows only urgent orders act, with policy.siteWindows.urgentApprovals people. */
  urgent: z.literal(true).optional(),
};
/** Orders someone in the trust root asks for: a change request, a power cycle. */
const common = { ...target, requester: requesterSchema };

/** 1. dmconfirm itself issues this update on the router, then confirms it. */
export const changeRequestSchema = z.strictObject({
  ...common,
  kind: z.literal('change-request'),
  change: deviceModeChangeSchema,
  digest: z.string(),
  method: z.enum(['button', 'power']),
  activationTimeoutSeconds: z.number().int().min(ACTIVATION_TIMEOUT_SECONDS.min).max(ACTIVATION_TIMEOUT_SECONDS.max),
  challenge: challengeRefSchema.optional(),
});
export type ChangeRequest = z.infer<typeof changeRequestSchema>;

/** 2. Someone else requested a change; approvers confirm the one the agent observed. */
export const approvalSchema = z.strictObject({
  // No requester: someone outside the trust root asked the router; every signer approves.
  ...target,
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

/**
 * 4. Cancels a scheduled order (by its request id) before its window opens: approvers
 * sign it, M-of-N like any order; the requester's own key never counts.
 */
export const cancelSchema = z.strictObject({
  ...common,
  kind: z.literal('cancel'),
  /** Nothing to hurry: a cancel only ever makes the agent do less. */
  urgent: z.never().optional(),
  cancels: id,
  note: z.string().max(500).optional(),
  challenge: challengeRefSchema.optional(),
});
export type Cancel = z.infer<typeof cancelSchema>;

export type SignedMessage = ChangeRequest | Approval | PowerCycle | Cancel;

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

/** The schema and JWS typ of each signed message kind. */
export const MESSAGE_KINDS = {
  'change-request': { schema: changeRequestSchema, typ: TYP.request },
  approval: { schema: approvalSchema, typ: TYP.approval },
  'power-cycle': { schema: powerCycleSchema, typ: TYP.powerCycle },
  cancel: { schema: cancelSchema, typ: TYP.cancel },
} as const;
export type MessageKind = keyof typeof MESSAGE_KINDS;
