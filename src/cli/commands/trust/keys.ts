import type { Command } from 'commander';
import { generateKeyFiles, loadPublicKey } from '../../../trust/keys.js';
import { cliAction, EXIT_INPUT, loadKeyOption } from './io.js';
import { IDENTITY_NAME } from '../../../trust/root-schema.js';
import { CliError } from '../../cli-error.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Operator signing keys (Ed25519)');

  keys
    .command('generate')
    .description('Write NAME.key (private, mode 0600) and NAME.pub; never overwrites')
    .requiredOption('--out <name>', 'path prefix: writes <name>.key and <name>.pub')
    .option('--name <name>', 'name shown in the trust root (default: the file name)')
    .action(
      cliAction(async (options: { out: string; name?: string }) => {
        // The name becomes the identity's name in the trust root: refuse now what the root would.
        if (options.name !== undefined && !IDENTITY_NAME.test(options.name))
          throw new CliError(
            `--name: "${options.name}" is not a name: 1-64 letters, ` +
              `digits or . _ @ - (starting with a letter or digit)`,
            EXIT_INPUT,
          );
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
