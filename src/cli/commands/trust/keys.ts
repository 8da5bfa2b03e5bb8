import type { Command } from 'commander';
import { generateKeyFiles, loadPublicKey } from '../../../trust/keys.js';
import { cliAction, loadKeyOption } from './io.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Operator signing keys (Ed25519)');

  keys
    .command('generate')
    .description('Write NAME.key (private, mode 0600) and NAME.pub; never overwrites')
    .requiredOption('--out <name>', 'path prefix: writes <name>.key and <name>.pub')
    .option('--name <name>', 'name shown in the trust root (default: the file name)')
    .action(
      cliAction(async (options: { out: string; name?: string }) => {
        const info = await generateKeyFiles(options.out, options.name);
        console.log(`wrote ${options.out}.key (keep it private) and ${options.out}.pub`);
        console.log(`key "${info.name}" id ${info.keyId}`);
      }),
    );

  keys
    .command('show')
    .argument('<file>', 'NAME.pub or NAME.key')
    .description('Print the name and key id of a key file')
    .action(
      cliAction(async (file: string) => {
        const info = file.endsWith('.pub') ? await loadPublicKey(file) : await loadKeyOption(file);
        console.log(`key "${info.name}" id ${info.keyId}`);
      }),
    );
}
