import type { Signer } from '../../../trust/jws.js';
import { CliError } from '../../cli-error.js';
import { signerIdentity } from '../../signing-checks.js';
import { EXIT_INPUT } from './io.js';
import { loadTrust } from './verify.js';

export interface IdentityOptions {
  requester?: string;
  key?: string;
  /** The trust root the agents hold: the signer's identity is looked up there. */
  trust?: string;
}

/**
 * The requester a signed message names. With `--trust` the trust root decides: the signing
 * key must be a key of an identity with the requester role, and that identity is the name
 * (any key: a key file, ssh-agent, a security key); `--requester` may only repeat it. Without
 * it, the key's own name (signerIdentity).
 */
export async function requesterIdentity(key: Signer | undefined, o: IdentityOptions): Promise<string | undefined> {
  if (o.trust === undefined) return signerIdentity(key, o.requester, { option: '--requester', keyOption: o.key });
  if (!key) throw new CliError('--trust checks the signing key: give --key, --ssh-agent or --ssh-keygen', EXIT_INPUT);
  const root = await loadTrust(o.trust);
  const where = `trust root v${root.version} (${o.trust})`;
  const owner = root.ownerOf(key.keyId);
  if (!owner)
    throw new CliError(`the signing key (key id ${key.keyId}) is no key of anyone in ${where}: nothing signed`, 2);
  if (o.requester !== undefined && o.requester !== owner.name)
    throw new CliError(
      `--requester "${o.requester}" is not the identity of the signing key: ${where} lists key ` +
        `${key.keyId} under "${owner.name}"; nothing signed`,
      2,
    );
  if (!owner.roles.has('requester'))
    throw new CliError(`"${owner.name}" has no requester role in ${where}: the agents would refuse it`, 2);
  return owner.name;
}
