import type { Command } from 'commander';
import { signPayload } from '../../../trust/jws.js';
import { TYP } from '../../../trust/messages.js';
import { migrateLegacy } from '../../../trust/root-edit.js';
import { TrustError } from '../../../trust/refusal.js';
import { TrustRoot, verifyRotation, verifySelfSigned } from '../../../trust/trust-root.js';
import { CliError } from '../../cli-error.js';
import { showRoot } from './show-root.js';
import { cliAction, EXIT_REFUSED, readEnvelopeFile, readText, writeEnvelope } from './io.js';

/** `trust migrate`, `trust show`, `trust verify`: reading and checking roots (editing is in trust.ts). */
export function registerTrustInspect(trust: Command): void {
  trust
    .command('migrate')
    .argument('<file>', 'a signed schema-1 trust root')
    .requiredOption('--out <file>', 'the schema-2 successor to write (an unsigned draft)')
    .description(
      'Turn a schema-1 root (keys) into its schema-2 successor (identities); keys sharing a name become one person',
    )
    .action(
      cliAction(async (file: string, o: { out: string }) => {
        const { payload } = await readEnvelopeFile(file);
        const next = migrateLegacy(payload);
        await writeEnvelope(o.out, await signPayload(next, TYP.root), { overwrite: false });
        showRoot(next);
        console.log(`${o.out}: trust root v${next.version}, unsigned draft; keys without a role became requesters`);
        console.log(
          `  check it, add the requester role where needed (trust add-key ... --same-person --role requester),`,
        );
        console.log(
          `  then sign with ${next.thresholds.root} of its root holders and the root keys of v${next.version - 1}`,
        );
      }),
    );

  trust
    .command('show')
    .argument('<file>')
    .description('Print keys, roles, thresholds and rules')
    .action(
      cliAction(async (file: string) => {
        const { envelope, text } = await readEnvelopeFile(file);
        const root = TrustRoot.fromEnvelopeText(text);
        if (root.schema === 1)
          console.log('  (schema 1: shown as identities; convert it with dmconfirm trust migrate)');
        showRoot({ version: root.version, ...root.model });
        console.log(`  signatures: ${envelope.signatures.length} (check them with dmconfirm trust verify)`);
      }),
    );

  trust
    .command('verify')
    .argument('<file>')
    .option('--previous <file>', 'the accepted root it replaces: check the rotation rule too')
    .description('Check a trust root the way the agent does')
    .action(
      cliAction(async (file: string, o: { previous?: string }) => {
        try {
          const candidate = TrustRoot.fromEnvelopeText(await readText(file));
          // With a previous root the rotation rule checks old and new signatures together.
          if (!o.previous) await verifySelfSigned(candidate);
          if (o.previous) {
            const previous = TrustRoot.fromEnvelopeText(await readText(o.previous));
            await verifySelfSigned(previous);
            const outcome = await verifyRotation(previous, candidate);
            console.log(
              `OK: ${file} v${candidate.version} ` +
                (outcome === 'rotated' ? `may replace v${previous.version}` : 'is the same root'),
            );
          } else {
            console.log(
              `OK: ${file} v${candidate.version} is signed by ${candidate.threshold('root')} ` +
                'or more of its root holders',
            );
          }
        } catch (error) {
          if (error instanceof TrustError) throw new CliError(`REFUSED ${error.reason}: ${error.detail}`, EXIT_REFUSED);
          throw error;
        }
      }),
    );
}
