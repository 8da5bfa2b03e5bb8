/**
 * The attacker's own signing code, on node:crypto alone (not the project's jws.ts): it signs
 * any payload it likes as a JWS in general JSON serialization with whatever keys it holds.
 */
import { sign, type KeyObject } from 'node:crypto';

export interface ForgerKey {
  keyId: string;
  privateKey: KeyObject;
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function forge(payload: unknown, typ: string, keys: ForgerKey[]): string {
  const body = b64(JSON.stringify(payload));
  const signatures = keys.map((key) => {
    const header = b64(JSON.stringify({ alg: 'EdDSA', typ, kid: key.keyId }));
    return { protected: header, signature: b64(sign(null, Buffer.from(`${header}.${body}`), key.privateKey)) };
  });
  return JSON.stringify({ payload: body, signatures });
}

export const forgedId = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 12)}`;
