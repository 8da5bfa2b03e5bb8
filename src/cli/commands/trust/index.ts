import type { Command } from 'commander';
import { registerApprove } from './approve.js';
import { registerCosign } from './cosign.js';
import { registerKeys } from './keys.js';
import { registerRequest } from './request.js';
import { registerTrust } from './trust.js';
import { registerVerify } from './verify.js';

/** Operator commands for keys, the trust root and signed messages (issue 4). */
export function registerTrustCommands(program: Command): void {
  registerKeys(program);
  registerTrust(program);
  registerRequest(program);
  registerCosign(program);
  registerApprove(program);
  registerVerify(program);
}
