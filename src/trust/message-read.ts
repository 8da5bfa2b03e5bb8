import type { z } from 'zod';
import { MESSAGE_KINDS } from './messages.js';
import type { Approval, Cancel, ChangeRequest, MessageKind, PowerCycle, SignedMessage } from './messages.js';

interface MessageOf {
  'change-request': ChangeRequest;
  approval: Approval;
  'power-cycle': PowerCycle;
  cancel: Cancel;
}
import { refuse } from './refusal.js';
import { parseStrictOrRefuse, strictJsonOrRefuse } from './strict-json.js';

/**
 * The one reading of a signed message's payload, shared by the agent's verifiers and by
 * what `cosign`, `approve` and `verify` show an operator: strict JSON, then the strict
 * schema of its kind. What a signer is shown is exactly what the agent acts on. Given
 * `{ json }`, the value strictJson already read (an OpenedEnvelope's payload).
 */
export function readMessage<K extends MessageKind>(
  kind: K,
  payload: Uint8Array | string | { json: unknown },
): MessageOf[K] {
  return parseStrictOrRefuse(
    MESSAGE_KINDS[kind].schema as z.ZodType,
    payload,
    'bad-payload',
    'payload',
  ) as MessageOf[K];
}

export function isMessageKind(kind: unknown): kind is MessageKind {
  return typeof kind === 'string' && Object.hasOwn(MESSAGE_KINDS, kind);
}

/** Reads a payload of whichever kind it says it is (the kind is then checked by its typ), once. */
export function readAnyMessage(payload: Uint8Array | string): SignedMessage {
  const json = strictJsonOrRefuse(payload, 'bad-payload', 'payload');
  const kind = json !== null && typeof json === 'object' ? (json as { kind?: unknown }).kind : undefined;
  if (!isMessageKind(kind)) return refuse('wrong-kind', `unknown message kind ${JSON.stringify(kind ?? null)}`);
  return readMessage(kind, { json });
}
