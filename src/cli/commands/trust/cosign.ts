import type { Command } from 'commander';
import { typForKind } from '../../../trust/drafts.js';
import { cosignEnvelope } from '../../../trust/jws.js';
import { cliAction, describeMessage, loadKeyOption, readEnvelopeFile, writeEnvelope } from './io.js';
import { refuseClosedWindow } from '../../signing-checks.js';

export function registerCosign(program: Command): void {
  program
    .command('cosign')
    .argument('<file>', 'a request, approval or power cycle message')
    .description('Add your approval signature to a message (prints what you sign)')
    .requiredOption('--key <key>', 'your private key')
    .option('--out <file>', 'write here instead of in place')
    .action(
      cliAction(async (file: string, o: { key: string; out?: string }) => {
        const { envelope, payload } = await readEnvelopeFile(file);
        const key = await loadKeyOption(o.key);
        refuseClosedWindow(payload, Date.now());
        const signed = await cosignEnvelope(envelope, typForKind(payload.kind), key);
        await writeEnvelope(o.out ?? file, signed, { overwrite: true });
        console.log(`signed: ${describeMessage(payload)}`);
        console.log(`${o.out ?? file}: now ${signed.signatures.length} signature(s), the latest by "${key.name}"`);
      }),
    );
}
