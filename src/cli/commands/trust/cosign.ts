import type { Command } from 'commander';
import { cosignEnvelope } from '../../../trust/jws.js';
import { readAnyMessage } from '../../../trust/message-read.js';
import { MESSAGE_KINDS, TYP } from '../../../trust/messages.js';
import { validatePayload } from '../../../trust/root-schema.js';
import { describeCampaign } from '../../../trust/campaign/describe.js';
import { cliAction, describeSigned, readEnvelopeFile, writeEnvelope } from './io.js';
import { requireSigner, sshSignerOptions } from './ssh-options.js';
import type { SignerOptions } from './ssh-options.js';
import { refuseClosedWindow } from '../../signing-checks.js';

export function registerCosign(program: Command): void {
  sshSignerOptions(
    program
      .command('cosign')
      .argument('<file>', 'a request, approval, power cycle or campaign')
      .description('Add your approval signature to a message (prints what you sign)')
      .option('--key <key>', 'your private key (or sign with --ssh-agent / --ssh-keygen)'),
  )
    .option('--out <file>', 'write here instead of in place')
    .action(
      cliAction(async (file: string, o: SignerOptions & { out?: string }) => {
        const { envelope, payload, payloadBytes } = await readEnvelopeFile(file);
        // What is shown is the agent's own reading; a payload it would refuse is never signed.
        let typ: string;
        let what: string;
        if (payload.type === 'dmconfirm-trust-root') {
          typ = TYP.root;
          what = `trust root v${validatePayload(payload).version}`;
        } else if (payload.kind === 'campaign') {
          typ = TYP.campaign;
          what = describeCampaign(payloadBytes);
          refuseClosedWindow(payload, Date.now());
        } else {
          const message = readAnyMessage(payloadBytes);
          typ = MESSAGE_KINDS[message.kind].typ;
          what = describeSigned(message);
          refuseClosedWindow(payload, Date.now());
        }
        const key = await requireSigner(o);
        const signed = await cosignEnvelope(envelope, typ, key);
        await writeEnvelope(o.out ?? file, signed, { overwrite: true });
        console.log(`signed: ${what}`);
        console.log(`${o.out ?? file}: now ${signed.signatures.length} signature(s), the latest by "${key.name}"`);
      }),
    );
}
