import type { Command } from 'commander';
import type { Signer } from '../../../trust/jws.js';
import { SshAgentClient } from '../../../trust/ssh/agent.js';
import { sshKeygenSigner } from '../../../trust/ssh/keygen.js';
import { sshSigningKey } from '../../../trust/ssh/ssh-sign.js';
import { CliError } from '../../cli-error.js';
import { EXIT_INPUT, loadKeyOption } from './io.js';

/** How a signing command signs: a key file, ssh-agent, or ssh-keygen (docs/hardware-keys.md). */
export interface SignerOptions {
  key?: string;
  sshAgent?: boolean;
  sshKey?: string;
  sshKeygen?: string;
}

/** Adds --ssh-agent [--ssh-key FINGERPRINT] and --ssh-keygen KEYFILE beside --key. */
export function sshSignerOptions(command: Command): Command {
  return command
    .option('--ssh-agent', 'sign with an ssh-ed25519 key held by ssh-agent (SSH_AUTH_SOCK)')
    .option('--ssh-key <fingerprint>', 'with --ssh-agent: which key, SHA256:... as "ssh-add -l" prints it')
    .option(
      '--ssh-keygen <keyfile>',
      'sign with "ssh-keygen -Y sign": a FIDO security key (asks for its touch), a key file, ' +
        'or a .pub whose key is in ssh-agent',
    );
}

/** The signer the options name, or undefined when none does (an unsigned draft). */
export async function loadSigner(o: SignerOptions, name?: string): Promise<Signer | undefined> {
  const given = [o.key !== undefined, o.sshAgent === true, o.sshKeygen !== undefined].filter(Boolean).length;
  if (given > 1) throw new CliError('sign with one of --key, --ssh-agent or --ssh-keygen', EXIT_INPUT);
  if (o.sshKey !== undefined && o.sshAgent !== true)
    throw new CliError('--ssh-key picks a key of --ssh-agent; give --ssh-agent too', EXIT_INPUT);
  if (o.key !== undefined) return loadKeyOption(o.key);
  if (o.sshAgent === true) return sshSigningKey(await new SshAgentClient().signer(o.sshKey), name);
  if (o.sshKeygen !== undefined) return sshSigningKey(await sshKeygenSigner(o.sshKeygen), name);
  return undefined;
}

/** The signer for a command that only signs (cosign, trust sign): one option is required. */
export async function requireSigner(o: SignerOptions): Promise<Signer> {
  const key = await loadSigner(o);
  if (!key)
    throw new CliError('sign with --key FILE, --ssh-agent [--ssh-key FINGERPRINT] or --ssh-keygen KEYFILE', EXIT_INPUT);
  return key;
}
