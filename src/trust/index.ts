/**
 * What the agent uses from the trust module. Signing and verification only; no transport:
 * the agent hands over the exact bytes it received and publishes what comes back.
 */
export { TrustGate } from './trust-gate.js';
export type { TrustGateOptions } from './trust-gate.js';
export { verifyApproval, verifyChangeRequest, verifyPowerCycle } from './verify.js';
export type { Accepted, RouterBinding, Verdict, VerifyContext } from './verify.js';
export { createWallClock, probeSystemClockSync } from '../time/wall-clock.js';
export type { WallClock, ClockMode } from '../time/wall-clock.js';
export { changeDigest, describeChange, featuresTurnedOn } from './change.js';
export { challengeSchema, TYP } from './messages.js';
export type { Approval, ChangeRequest, Challenge, PowerCycle, RouterRef, SignedMessage } from './messages.js';
export { NonceStore } from './nonce-store.js';
export { ReplayStore } from './replay-store.js';
export { RateLimiter } from './rate-limit.js';
export { TrustStore } from './trust-store.js';
export { TrustRoot } from './trust-root.js';
export { REFUSAL_REASONS, TrustError } from './refusal.js';
export type { Refusal, RefusalReason } from './refusal.js';
export { generateSigningKey, loadSigningKey, signingKeyFrom } from './keys.js';
export type { PublicKeyInfo, SigningKey } from './keys.js';
