import type { Command } from 'commander';
import { TrustRoot, verifySelfSigned } from '../../../trust/trust-root.js';
import { TrustError } from '../../../trust/refusal.js';
import type { Refusal } from '../../../trust/refusal.js';
import { verifyApproval, verifyChangeRequest, verifyPowerCycle } from '../../../trust/verify.js';
import type { Accepted } from '../../../trust/verify.js';
import type { SignedMessage } from '../../../trust/messages.js';
import { CliError } from '../../cli-error.js';
import { readChallenge } from './challenge-file.js';
import { cliAction, describeMessage, EXIT_INPUT, EXIT_REFUSED, readEnvelopeFile, readText } from './io.js';
import { offlineContext } from './verify-plan.js';
import type { OfflineOptions } from './verify-plan.js';

interface VerifyOptions extends OfflineOptions {
  trust: string;
  challenge?: string;
}

async function loadTrust(path: string): Promise<TrustRoot> {
  try {
    const root = TrustRoot.fromEnvelopeText(await readText(path));
    await verifySelfSigned(root);
    return root;
  } catch (error) {
    if (error instanceof TrustError) throw new CliError(`trust root ${path} is not valid: ${error.reason}: ${error.detail}`, EXIT_INPUT);
    throw error;
  }
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument('<file>', 'a request, approval or power cycle message')
    .description('Check a message offline exactly as the agent would; exit 1 with the reason when it would be refused')
    .requiredOption('--trust <file>', 'the trust root (trust.json)')
    .option('--agent <id>', 'the agent it must be addressed to')
    .option('--router-serial <serial>', 'the router it must be addressed to')
    .option('--router-system-id <id>', 'the router it must be addressed to (CHR)')
    .option('--challenge <file|json>', 'the challenge an approval answers (or a request is bound to)')
    .option('--clock <mode>', 'assume-synced, assume-unsynced or systemd (this machine)', 'assume-synced')
    .option('--now <time>', 'verify as of this ISO time')
    .action(
      cliAction(async (file: string, o: VerifyOptions) => {
        const root = await loadTrust(o.trust);
        const { text, payload } = await readEnvelopeFile(file).catch((error: unknown) => {
          if (error instanceof TrustError) throw new CliError(`REFUSED ${error.reason}: ${error.detail}`, EXIT_REFUSED);
          throw error;
        });
        const { ctx, unchecked } = offlineContext(root, payload, o);
        let verdict: Accepted<SignedMessage> | Refusal;
        const challenge = o.challenge ? await readChallenge(o.challenge) : undefined;
        // The challenge's nonce is what the agent would hold as current for it.
        if (challenge) await ctx.nonceStore!.remember(challenge.challengeId, challenge.nonce, ctx.clock.now());
        if (payload.kind === 'approval') {
          if (!challenge) throw new CliError('an approval is checked against its challenge: give --challenge', EXIT_INPUT);
          verdict = await verifyApproval(text, challenge, ctx);
        } else if (payload.kind === 'power-cycle') {
          verdict = await verifyPowerCycle(text, ctx);
        } else {
          verdict = await verifyChangeRequest(text, ctx);
        }
        if (!verdict.ok) throw new CliError(`REFUSED ${verdict.reason}: ${verdict.detail}`, EXIT_REFUSED);
        console.log(`OK: ${describeMessage(payload)}`);
        console.log(`  approved by ${verdict.approverNames.join(', ')} (${verdict.approvers.length} of ${verdict.requirement.required} needed: ${verdict.requirement.because.join(', ')}) under trust root v${root.version}`);
        console.log(`  not checked offline: ${unchecked.join('; ')}`);
      }),
    );
}
