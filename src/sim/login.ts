import { createHash, randomBytes } from 'node:crypto';
import { versionAtLeast } from './profiles.js';

/**
 * API login. Since 6.43 `/login =name= =password=` answers `!done`; before 6.45.1 RouterOS
 * also answered a bare `/login` with `=ret=<challenge>` and accepted
 * `=response=00<md5(0x00 + password + challenge)>` (the method old clients such as mikronode
 * use); 6.45.1 removed that method.
 */
export function answersWithChallenge(routerosVersion: string, attrs: Record<string, string>): boolean {
  if (versionAtLeast(routerosVersion, '6.45.1') || attrs.response !== undefined) return false;
  // Before 6.43 the name and password of the new method are ignored: a challenge comes back.
  return attrs.name === undefined || !versionAtLeast(routerosVersion, '6.43');
}

export function newChallenge(): string {
  return randomBytes(16).toString('hex');
}

/** The response a client computes from the password (wire text: one char per byte) and the challenge. */
export function challengeResponse(password: string, challenge: string): string {
  const digest = createHash('md5')
    .update(Buffer.concat([Buffer.from([0]), Buffer.from(password, 'latin1'), Buffer.from(challenge, 'hex')]))
    .digest('hex');
  return `00${digest}`;
}
