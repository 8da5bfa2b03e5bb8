/**
 * The MQTT contract: every topic (re-exported from topics.ts) and every payload that the
 * agent and the CLI exchange. Both sides import this module; nothing else defines a
 * payload shape. All payloads are UTF-8 JSON. Inbound payloads are parsed with the zod
 * schemas here; outbound ones are typed, and parsed by the CLI with the same schemas.
 *
 * Signatures are not this module's business: inbound orders are JWS envelopes that
 * src/trust verifies over the exact bytes received.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { challengeSchema as signedChallengeSchema, routerRefSchema } from '../trust/messages.js';
import { parseStrict, strictJson, StrictJsonError } from '../trust/strict-json.js';
import { OPERATION_STATES } from '../agent/operation-state.js';
import { REASON_CODES } from './reason-codes.js';

export * from './topics.js';

export const CONTRACT_VERSION = 1;

/** Operation states (owned by the agent's state machine), published as they happen. */
export { OPERATION_STATES, FINAL_STATES, isFinal, type OperationState } from '../agent/operation-state.js';

export const OPERATION_KINDS = ['change', 'observed', 'powercycle'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const isoTime = z.string().min(1).describe('ISO 8601 wall time of the sender; may be wrong until the clock syncs');
export const correlationId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 of letters, digits, _ . : -');

/* ---------- inbound: request, approval, powercycle ---------- */

/**
 * An inbound payload is the signed message itself: a JWS in general JSON serialization as
 * src/trust/jws.ts defines it, handed to the verifier as the exact bytes received. Its
 * `requestId` (read here without verifying anything) only says where to answer; every
 * answer quotes the SHA-256 of the bytes it answers, so an operator's tool can tell an
 * answer to its own message from a refusal of a forgery that reused its request id.
 */
export interface InboundCorrelation {
  /** requestId from the unverified payload, when it is a valid topic level. */
  requestId: string | undefined;
  /** base64url SHA-256 of the exact payload bytes. */
  digest: string;
}

export function messageDigest(payload: Uint8Array | string): string {
  return createHash('sha256').update(payload).digest('base64url');
}

export function inboundCorrelation(payload: Uint8Array | string): InboundCorrelation {
  const digest = messageDigest(payload);
  // Read with the one strict parser (src/trust/strict-json.ts), as the verifier will: a message
  // with two requestIds, or a payload that is not canonical base64url, names no request id
  // here either, so its answer can never land on another operation's topic.
  try {
    const outer = strictJson(payload);
    const b64 = (outer as { payload?: unknown } | null)?.payload;
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9_-]+$/.test(b64)) return { requestId: undefined, digest };
    const bytes = Buffer.from(b64, 'base64url');
    if (bytes.toString('base64url') !== b64) return { requestId: undefined, digest };
    return { requestId: requestIdOf(strictJson(bytes)), digest };
  } catch {
    return { requestId: undefined, digest };
  }
}

/** inboundCorrelation of a message whose payload was already read strictly (an opened envelope's). */
export function payloadCorrelation(payload: Uint8Array | string, json: unknown): InboundCorrelation {
  return { requestId: requestIdOf(json), digest: messageDigest(payload) };
}

function requestIdOf(json: unknown): string | undefined {
  const id = (json as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' && correlationId.safeParse(id).success ? id : undefined;
}

export class ContractError extends Error {
  constructor(
    message: string,
    readonly topic: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

/**
 * Parses a payload against a schema with the one strict parser the trust code uses too
 * (src/trust/strict-json.ts); a typed error names the topic and the first problem.
 */
export function parsePayload<S extends z.ZodType>(schema: S, topic: string, payload: Uint8Array | string): z.infer<S> {
  try {
    return parseStrict(schema, payload);
  } catch (error) {
    if (error instanceof StrictJsonError) throw new ContractError(error.message, topic);
    throw error;
  }
}

export function encodePayload(value: unknown): string {
  return JSON.stringify(value);
}

export * from './reason-codes.js';
export * from './rollout-status.js';

/* ---------- outbound: answers (progress/<id>) ---------- */

export const errorInfoSchema = z.strictObject({
  code: z.enum(REASON_CODES).describe('Stable machine-readable reason, one of REASON_CODES'),
  message: z.string(),
});
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/** What an answer can say of an order: an operation's state, or `scheduled` (waiting for its window). */
export const ORDER_STATES = [...OPERATION_STATES, 'scheduled'] as const;

export const progressDataSchema = z.strictObject({
  state: z.enum(ORDER_STATES),
  router: z.string().optional(),
  operationId: z.string().optional(),
  final: z.boolean().describe('True on the last message for this request'),
  inReplyTo: z
    .string()
    .min(1)
    .optional()
    .describe('messageDigest of the inbound order this answers; always set when the agent has it'),
  detail: z.string().optional(),
});
export type ProgressData = z.infer<typeof progressDataSchema>;

/** Request/response in zigbee2mqtt style, one message per step on progress/<id>. */
export const responseSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  id: correlationId,
  at: isoTime,
  status: z.enum(['ok', 'error']),
  data: progressDataSchema,
  error: errorInfoSchema.optional(),
});
export type AgentResponse = z.infer<typeof responseSchema>;

/* ---------- outbound: status (retained, last will) ---------- */

export const statusSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  state: z.enum(['online', 'offline']),
  agent: z.string(),
  site: z.string(),
  version: z.string(),
  at: isoTime.describe('When composed; for the last will that is connection time'),
  reason: z.enum(['started', 'stopped', 'connection-lost', 'start-failed']),
  detail: z.string().optional().describe('With start-failed: why the agent could not start'),
  clockSynced: z
    .boolean()
    .optional()
    .describe(
      'Whether the agent trusted its wall clock when it came online; false: send orders bound to a fresh challenge',
    ),
});
export type AgentStatus = z.infer<typeof statusSchema>;

/* ---------- outbound: per-router state (retained) ---------- */

export const operationSummarySchema = z.strictObject({
  id: z.string(),
  kind: z.enum(OPERATION_KINDS),
  state: z.enum(OPERATION_STATES),
  since: isoTime,
  requestId: z.string().optional(),
  deadline: isoTime.optional().describe("The deadline on the agent's wall clock at `at` (wrong while that clock is)"),
  deadlineInMs: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "Time left at the message's `at`, by the agent's monotonic clock: right even while its wall clock is wrong",
    ),
});
export type OperationSummary = z.infer<typeof operationSummarySchema>;

export const lastResultSchema = z.strictObject({
  operationId: z.string(),
  requestId: z.string().optional(),
  state: z.enum(OPERATION_STATES),
  at: isoTime,
  detail: z.string().optional(),
});
export type LastResult = z.infer<typeof lastResultSchema>;

/** Why the agent cannot talk to a router, in the router state and its alarm. */
export const ROUTER_PROBLEM_CAUSES = [
  'authentication-refused',
  'connection-refused',
  'timeout',
  'tls-fingerprint-mismatch',
  'unreachable',
] as const;
export type RouterProblemCause = (typeof ROUTER_PROBLEM_CAUSES)[number];

export const routerStateSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  router: z.string(),
  at: isoTime,
  reachable: z.boolean(),
  deviceMode: z
    .strictObject({
      mode: z.string(),
      features: z.record(z.string(), z.boolean()),
      flaggingEnabled: z.boolean(),
      allowedVersions: z.string(),
    })
    .nullable()
    .describe('null until read'),
  attemptCount: z.number().int().min(0).nullable(),
  flagged: z.boolean().nullable(),
  operation: operationSummarySchema.nullable(),
  lastResult: lastResultSchema.nullable(),
  problem: z
    .strictObject({ cause: z.enum(ROUTER_PROBLEM_CAUSES), message: z.string(), since: isoTime })
    .nullable()
    .optional(),
  /** The paired unit (routerboard serial, or CHR system id) once known. */
  serial: z.string().optional(),
  systemId: z.string().optional(),
});
export type RouterStateMessage = z.infer<typeof routerStateSchema>;

/* ---------- outbound: challenge (retained while open) ---------- */

/**
 * routers/<router>/challenge. Retained so an approver who connects later still sees it;
 * the agent clears it with an empty retained payload when the operation closes, and gives
 * it a message expiry equal to the remaining activation time so a broker drops it even if
 * the agent died. The nonce is not secret: it only makes an approval single-use.
 * `challenge` is the exact object approvals quote (src/trust/messages.ts).
 */
export const challengeMessageSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  router: z.string(),
  operationId: z.string(),
  challenge: signedChallengeSchema,
  expiresAt: isoTime.optional().describe('End of the activation window as the agent estimates it, on its wall clock'),
  expiresInMs: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Time left when published, by the agent's monotonic clock: right even while its wall clock is wrong"),
  endAssumed: z
    .boolean()
    .optional()
    .describe('True when expiresAt is assumed: the router does not tell when it ends a change someone else requested'),
  methods: z.array(z.enum(['button', 'power'])),
});
export type ChallengeMessage = z.infer<typeof challengeMessageSchema>;

/* ---------- challenge on demand: request (inbound, unsigned) and order challenge (retained) ---------- */

/** challenge-request: "publish a fresh order challenge for this router". Unsigned; rate-limited by the agent. */
export const challengeRequestSchema = z.strictObject({ v: z.literal(CONTRACT_VERSION), router: routerRefSchema });
export type ChallengeRequest = z.infer<typeof challengeRequestSchema>;

/** What the agent last read from the router, for approvers deciding on a power cycle. */
export const lastReadSchema = z.strictObject({
  at: isoTime,
  secondsAgo: z.number().int().min(0).describe("By the agent's monotonic clock: right even when wall time is not"),
  mode: z.string(),
  features: z.record(z.string(), z.boolean()),
  attemptCount: z.number().int().min(0),
  flagged: z.boolean(),
});
export type LastRead = z.infer<typeof lastReadSchema>;

/**
 * routers/<router>/order-challenge: a challenge any change request or power cycle for that
 * router may quote (freshness without wall time), once. Separate from the challenge of an
 * observed change, which it never disturbs.
 */
export const orderChallengeMessageSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  router: z.string(),
  challenge: signedChallengeSchema,
  clockSynced: z.boolean(),
  reachable: z.boolean(),
  lastRead: lastReadSchema.nullable(),
});
export type OrderChallengeMessage = z.infer<typeof orderChallengeMessageSchema>;

/* ---------- outbound: scheduled orders (retained) ---------- */

/**
 * scheduled: every order of this agent waiting for its window (its own, or the site's),
 * soonest first; an empty list when none waits. Published again on every change.
 */
export const scheduledMessageSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  at: isoTime,
  orders: z.array(
    z.strictObject({
      requestId: z.string(),
      router: z.string(),
      kind: z.enum(['request', 'powercycle']),
      opensAt: isoTime.describe('When the agent acts, if the router still matches and the clock is synchronized'),
      closesAt: isoTime.describe('The order expires then if it has not started'),
      scheduledAt: isoTime,
      urgent: z.boolean().optional(),
    }),
  ),
});
export type ScheduledMessage = z.infer<typeof scheduledMessageSchema>;

/* ---------- outbound: events stream ---------- */

export const eventSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  at: isoTime,
  type: z.enum(['progress', 'alarm', 'security', 'info']),
  severity: z.enum(['info', 'warning', 'critical']),
  code: z.enum(REASON_CODES),
  message: z.string(),
  router: z.string().optional(),
  requestId: z.string().optional(),
  operationId: z.string().optional(),
  state: z.enum(OPERATION_STATES).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type AgentEvent = z.infer<typeof eventSchema>;

/* ---------- outbound: audit checkpoint (retained latest) ---------- */

export const checkpointMessageSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  jws: z.string().describe('Compact JWS, typ dmconfirm-checkpoint+jws, signed by the agent key'),
});
export type CheckpointMessage = z.infer<typeof checkpointMessageSchema>;

/** How each topic is published: QoS 1 everywhere; retained only for state. */
export const PUBLISH_RULES = {
  status: { qos: 1, retain: true },
  routerState: { qos: 1, retain: true },
  challenge: { qos: 1, retain: true },
  checkpoint: { qos: 1, retain: true },
  scheduled: { qos: 1, retain: true },
  rolloutStatus: { qos: 1, retain: true },
  events: { qos: 1, retain: false },
  progress: { qos: 1, retain: false },
  inbound: { qos: 1, retain: false },
} as const;

/** Inbound orders older than this are dropped by MQTT 5 brokers (messageExpiryInterval). */
export const DEFAULT_COMMAND_EXPIRY_SECONDS = 600;
