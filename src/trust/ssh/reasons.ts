import { REFUSAL_CODES } from '../../mqtt/contract.js';

/**
 * The refusal codes of SSH and security-key signatures (listed in the contract's
 * REFUSAL_CODES; docs/hardware-keys.md explains each): every one is a security event.
 */
export const SSH_REFUSAL_REASONS: readonly string[] = REFUSAL_CODES.filter(
  (code) => code.startsWith('ssh-') || code.startsWith('sk-'),
);
