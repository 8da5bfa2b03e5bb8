/**
 * What publishing a signed order means, decided without a network: which topic, which
 * request id to follow, which digest answers must quote, how long the broker may hold it.
 * `--dry-run` prints this plan; the runner (send.ts) carries it out.
 */
import {
  agentTopics,
  DEFAULT_COMMAND_EXPIRY_SECONDS,
  INBOUND_KINDS,
  messageDigest,
  PUBLISH_RULES,
} from '../mqtt/contract.js';
import type { InboundKind } from '../mqtt/contract.js';
import { parseEnvelope, unverifiedPayload } from '../trust/jws.js';

export class SendPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SendPlanError';
  }
}

/** The inbound topic each signed message kind goes to. */
const TOPIC_KIND: Record<string, InboundKind> = {
  'change-request': 'request',
  approval: 'approval',
  'power-cycle': 'powercycle',
  cancel: 'cancel',
};

export interface SendInput {
  /** The exact bytes to publish: what the agent verifies, and what answers quote. */
  bytes: Buffer;
  base: string;
  site: string;
  /** When given, must match the message; otherwise taken from it. */
  agent?: string | undefined;
  kind?: string | undefined;
  wait: boolean;
  timeoutMs: number;
  now: number;
}

export interface SendPlan {
  topic: string;
  /** The base topic and site the order goes under: who is there is checked before sending. */
  base: string;
  site: string;
  progressTopic: string;
  kind: InboundKind;
  agent: string;
  requestId: string;
  digest: string;
  bytes: Buffer;
  qos: 1;
  retain: false;
  /** MQTT 5 messageExpiryInterval: the broker drops the order when it is older. */
  expirySeconds: number;
  wait: boolean;
  timeoutMs: number;
}

export function planSend(input: SendInput): SendPlan {
  let payload: Record<string, unknown>;
  let signatures: number;
  try {
    const envelope = parseEnvelope(input.bytes);
    signatures = envelope.signatures.length;
    payload = unverifiedPayload(envelope) as Record<string, unknown>;
  } catch (error) {
    throw new SendPlanError(
      `not a signed dmconfirm message: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (payload === null || typeof payload !== 'object')
    throw new SendPlanError('not a signed dmconfirm message: payload is not an object');
  if (signatures === 0)
    throw new SendPlanError('the message carries no signature; the agent would refuse it (co-sign it first)');
  const messageKind = TOPIC_KIND[String(payload.kind)];
  if (!messageKind) throw new SendPlanError(`cannot publish a message of kind ${JSON.stringify(payload.kind)}`);
  if (input.kind !== undefined) {
    if (!(INBOUND_KINDS as readonly string[]).includes(input.kind))
      throw new SendPlanError(`--kind is one of ${INBOUND_KINDS.join(', ')}`);
    if (input.kind !== messageKind)
      throw new SendPlanError(
        `--kind ${input.kind} but the message is a ${String(payload.kind)} (goes to ${messageKind})`,
      );
  }
  const messageAgent = typeof payload.agent === 'string' ? payload.agent : undefined;
  if (!messageAgent) throw new SendPlanError('the message names no agent');
  if (input.agent !== undefined && input.agent !== messageAgent)
    throw new SendPlanError(`--agent ${input.agent} but the message is for agent ${messageAgent}`);
  const requestId = typeof payload.requestId === 'string' ? payload.requestId : undefined;
  if (!requestId) throw new SendPlanError('the message has no requestId');
  let topics;
  try {
    topics = agentTopics(input.base, input.site, messageAgent);
  } catch (error) {
    throw new SendPlanError(error instanceof Error ? error.message : String(error));
  }
  let progressTopic: string;
  try {
    progressTopic = topics.progress(requestId);
  } catch (error) {
    throw new SendPlanError(error instanceof Error ? error.message : String(error));
  }
  return {
    topic: topics[messageKind],
    base: input.base,
    site: input.site,
    progressTopic,
    kind: messageKind,
    agent: messageAgent,
    requestId,
    digest: messageDigest(input.bytes),
    bytes: input.bytes,
    qos: PUBLISH_RULES.inbound.qos,
    retain: PUBLISH_RULES.inbound.retain,
    expirySeconds: commandExpirySeconds(payload, input.now, input.wait ? input.timeoutMs : undefined),
    wait: input.wait,
    timeoutMs: input.timeoutMs,
  };
}

/**
 * How long a broker may keep the order for an absent agent: the contract's default, never
 * past the message's own window end, and never past the end of our wait (an order that
 * arrives after the operator stopped watching would run unobserved).
 */
export function commandExpirySeconds(payload: Record<string, unknown>, now: number, waitMs?: number): number {
  let seconds = DEFAULT_COMMAND_EXPIRY_SECONDS;
  const window = payload.window as { notAfter?: unknown } | undefined;
  const notAfter = typeof window?.notAfter === 'string' ? Date.parse(window.notAfter) : NaN;
  if (!Number.isNaN(notAfter)) seconds = Math.min(seconds, (notAfter - now) / 1000);
  if (waitMs !== undefined) seconds = Math.min(seconds, waitMs / 1000);
  return Math.max(1, Math.ceil(seconds));
}

/** The plan as `--dry-run` prints it. */
export function describePlan(plan: SendPlan, broker: string): string[] {
  return [
    `would publish ${plan.bytes.length} bytes (${plan.kind} ${plan.requestId} for agent ${plan.agent})`,
    `  broker   ${broker}`,
    `  topic    ${plan.topic}  (QoS ${plan.qos}, not retained, expires after ${plan.expirySeconds}s on MQTT 5)`,
    `  digest   ${plan.digest}  (answers must quote it as inReplyTo)`,
    plan.wait
      ? `  follow   ${plan.progressTopic} for up to ${Math.round(plan.timeoutMs / 1000)}s`
      : '  no --wait: exit once the broker has the message',
  ];
}
