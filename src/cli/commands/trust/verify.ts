import type { Command } from 'commander';
import { readAnyMessage } from '../../../trust/message-read.js';
import { TrustRoot, verifyRotation, verifySelfSigned } from '../../../trust/trust-root.js';
import { TrustError } from '../../../trust/refusal.js';
import type { Refusal } from '../../../trust/refusal.js';
import { verifyApproval, verifyChangeRequest, verifyPowerCycle } from '../../../trust/verify.js';
import type { Accepted } from '../../../trust/verify.js';
import type { SignedMessage } from '../../../trust/messages.js';
import { CliError } from '../../cli-error.js';
import { readChallenge } from './challenge-file.js';
import { cliAction, describeSigned, EXIT_INPUT, EXIT_REFUSED, readEnvelopeFile, readText } from './io.js';
import { offlineContext } from './verify-plan.js';
import type { OfflineOptions } from './verify-plan.js';

interface VerifyOptions extends OfflineOptions {
  trust: string;
  newer?: string;
  challenge?: string;
}

/** A trust root file, its own signatures checked; a bad one is bad input (exit 2). */
export async function loadTrust(path: string): Promise<TrustRoot> {
  try {
    const root = TrustRoot.fromEnvelopeText(await readText(path));
    await verifySelfSigned(root);
    return root;
  } catch (error) {
    if (error instanceof TrustError)
      throw new CliError(`trust root ${path} is not valid: ${error.reason}: ${error.detail}`, EXIT_INPUT);
    throw error;
  }
}

function refused(error: unknown): never {
  if (error instanceof TrustError) throw new CliError(`REFUSED ${error.reason}: ${error.detail}`, EXIT_REFUSED);
  throw error;
}

/**
 * Warnings for every signature the verdict relies on whose key a newer root no longer
 * holds (revoked), or whose holder lost the role it signed in.
 */
export function revocationWarnings(verdict: Accepted<SignedMessage>, root: TrustRoot, newer: TrustRoot): string[] {
  const warnings: string[] = [];
  for (const keyId of new Set(verdict.signerKeyIds)) {
    const person = root.ownerOf(keyId);
    const now = newer.ownerOf(keyId);
    const who = `key ${keyId} of ${person?.name ?? '?'}`;
    if (!now)
      warnings.push(
        `WARNING: ${who} is revoked in trust root v${newer.version}; ` +
          `the agent refuses this message once it has v${newer.version}`,
      );
    else if (person?.roles.has('approver') && !now.roles.has('approver'))
      warnings.push(`WARNING: ${who} is no longer an approver in trust root v${newer.version}`);
  }
  return warnings;
}

/** The next version is checked as the agent would rotate to it; a later one only on its own. */
async function checkNewer(root: TrustRoot, newer: TrustRoot, path: string): Promise<void> {
  if (newer.version !== root.version + 1) {
    console.log(`newer trust root: v${newer.version} (${path}), self-signed; the versions between are not checked`);
    return;
  }
  try {
    await verifyRotation(root, newer);
  } catch (error) {
    if (error instanceof TrustError) {
      throw new CliError(
        `--newer ${path} may not replace v${root.version}: ${error.reason}: ${error.detail}`,
        EXIT_INPUT,
      );
    }
    throw error;
  }
  console.log(`newer trust root: v${newer.version} (${path}), a valid rotation of v${root.version}`);
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument('<file>', 'a request, approval or power cycle message')
    .description('Check a message offline exactly as the agent would; exit 1 with the reason when it would be refused')
    .requiredOption('--trust <file>', 'the trust root (trust.json)')
    .option('--newer <file>', 'a newer trust root: warn when a key the message relies on is revoked there')
    .option('--agent <id>', 'the agent it must be addressed to')
    .option('--router-serial <serial>', 'the router it must be addressed to')
    .option('--router-system-id <id>', 'the router it must be addressed to (CHR)')
    .option('--challenge <file|json>', 'the challenge an approval answers (or a request is bound to)')
    .option('--clock <mode>', 'assume-synced, assume-unsynced or systemd (this machine)', 'assume-synced')
    .option('--now <time>', 'verify as of this ISO time')
    .action(
      cliAction(async (file: string, o: VerifyOptions) => {
        const root = await loadTrust(o.trust);
        console.log(`trust root: v${root.version} (${o.trust})`);
        const newer = o.newer ? await loadTrust(o.newer) : undefined;
        if (newer && newer.version <= root.version)
          throw new CliError(`--newer ${o.newer} is v${newer.version}, not newer than v${root.version}`, EXIT_INPUT);
        if (newer) await checkNewer(root, newer, o.newer!);
        const { text, payloadBytes } = await readEnvelopeFile(file).catch(refused);
        let message: SignedMessage;
        try {
          message = readAnyMessage(payloadBytes);
        } catch (error) {
          refused(error);
        }
        const { ctx, unchecked } = offlineContext(root, message, o);
        let verdict: Accepted<SignedMessage> | Refusal;
        const challenge = o.challenge ? await readChallenge(o.challenge) : undefined;
        // The challenge's nonce is what the agent would hold as current for it.
        if (challenge) await ctx.nonceStore!.remember(challenge.challengeId, challenge.nonce, ctx.clock.now());
        if (message.kind === 'approval') {
          if (!challenge)
            throw new CliError('an approval is checked against its challenge: give --challenge', EXIT_INPUT);
          verdict = await verifyApproval(text, challenge, ctx);
        } else if (message.kind === 'power-cycle') {
          verdict = await verifyPowerCycle(text, ctx);
        } else {
          verdict = await verifyChangeRequest(text, ctx);
        }
        if (!verdict.ok) throw new CliError(`REFUSED ${verdict.reason}: ${verdict.detail}`, EXIT_REFUSED);
        console.log(`OK: ${describeSigned(verdict.message)}`);
        console.log(
          `  approved by ${verdict.approverNames.join(', ')} ` +
            `(${verdict.approverNames.length} of ${verdict.requirement.required} people needed: ` +
            `${verdict.requirement.because.join(', ')}) under trust root v${root.version}`,
        );
        console.log(`  not checked offline: ${unchecked.join('; ')}`);
        if (newer) {
          const warnings = revocationWarnings(verdict, root, newer);
          for (const w of warnings) console.log(w);
          if (warnings.length === 0)
            console.log(`  every key it relies on is still valid in trust root v${newer.version} (${o.newer})`);
        }
      }),
    );
}
