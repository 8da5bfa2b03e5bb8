/**
 * Signed audit checkpoints: `{v, agent, count, head, at}` as a compact JWS (Ed25519, typ
 * dmconfirm-checkpoint+jws, kid = the trust layer's key id of the agent key). Published
 * retained over MQTT, an operator-side copy lets anyone later prove that the first
 * `count` lines of the agent's log were not rewritten or cut.
 */
import { CompactSign, compactVerify } from 'jose';
import { z } from 'zod';
import { checkHeader } from '../trust/jws.js';
import { parseStrict } from '../trust/strict-json.js';
import type { PublicKeyInfo, SigningKey } from '../trust/keys.js';
import type { AuditHead } from './audit-log.js';

export const CHECKPOINT_TYP = 'dmconfirm-checkpoint+jws';

export const checkpointSchema = z.strictObject({
  v: z.literal(1),
  agent: z.string().min(1),
  count: z.number().int().min(0),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().min(1),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function makeCheckpoint(agent: string, head: AuditHead, at: Date): Checkpoint {
  return { v: 1, agent, count: head.count, head: head.head, at: at.toISOString() };
}

export async function signCheckpoint(checkpoint: Checkpoint, key: SigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(checkpointSchema.parse(checkpoint))))
    .setProtectedHeader({ alg: 'EdDSA', typ: CHECKPOINT_TYP, kid: key.keyId })
    .sign(key.privateKey);
}

/** Verifies with the one key the caller trusts for this agent; the kid must name that key. */
export async function verifyCheckpoint(jws: string, key: PublicKeyInfo): Promise<Checkpoint> {
  const parts = jws.trim().split('.');
  if (parts.length !== 3 || !parts[0]) throw new CheckpointError('not a compact JWS');
  let kid: string;
  try {
    kid = checkHeader(parts[0], CHECKPOINT_TYP, 0).kid;
  } catch (error) {
    throw new CheckpointError(`checkpoint header refused: ${(error as Error).message}`);
  }
  if (kid !== key.keyId)
    throw new CheckpointError(`checkpoint is signed by key ${kid}, not by ${key.name} (${key.keyId})`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws.trim(), key.key, { algorithms: ['EdDSA', 'Ed25519'] }));
  } catch {
    throw new CheckpointError(`checkpoint signature does not verify with ${key.name} (${key.keyId})`);
  }
  try {
    return parseStrict(checkpointSchema, payload);
  } catch (error) {
    throw new CheckpointError(`checkpoint payload is malformed: ${(error as Error).message}`);
  }
}
