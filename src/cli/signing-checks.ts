import { CliError } from './cli-error.js';
import { notOneOf } from '../text/did-you-mean.js';
import type { Signer } from '../trust/jws.js';

const METHODS = ['button', 'power'] as const;

/** `--method`: button or power, with a suggestion for a typo. */
export function methodOf(value: string | undefined): 'button' | 'power' {
  if (value === undefined) throw new CliError('--method is required: button or power', 2);
  if (!(METHODS as readonly string[]).includes(value))
    throw new CliError(`--method: ${notOneOf(value, 'a method', METHODS)}`, 2);
  return value as 'button' | 'power';
}

/**
 * A message whose window already closed would only be refused by the agent (too late): refuse
 * to sign it now, saying when it closed.
 */
export function refuseClosedWindow(payload: Record<string, unknown>, now: number): void {
  const window = payload.window as { notAfter?: unknown } | undefined;
  const notAfter =
    typeof payload.notAfter === 'string'
      ? payload.notAfter
      : typeof window?.notAfter === 'string'
        ? window.notAfter
        : undefined;
  if (notAfter === undefined) return;
  const end = Date.parse(notAfter);
  if (!Number.isNaN(end) && end <= now) {
    const ago = Math.round((now - end) / 60_000);
    throw new CliError(
      `its window closed at ${notAfter} (${ago < 1 ? 'just now' : `${ago} min ago`}): the ` +
        `agent would refuse it as too late; nothing ` +
        `signed. Make a new one (--not-after +30m)`,
      2,
    );
  }
}

/** What the signature on a message means, for the line after "wrote FILE". */
export function signatureNote(
  payload: Record<string, unknown>,
  key: { name: string; keyId: string } | undefined,
): string {
  if (!key) return '  unsigned draft';
  const requester = payload.requester as { keyId?: unknown; name?: unknown } | undefined;
  if (requester?.keyId !== key.keyId) return `  signed by "${key.name}" (counts as an approval)`;
  const name = typeof requester.name === 'string' ? requester.name : key.name;
  const which = name === key.name ? '' : ` with key "${key.name}"`;
  return `  signed by requester "${name}"${which} (does not count as an approval)`;
}

/** The identity a key names itself: a dmconfirm key file's name, an SSH key's comment (or fingerprint). */
export function ownName(key: Signer): string {
  if ('sshSigner' in key) return key.sshSigner.publicKey.comment || key.sshSigner.publicKey.fingerprint;
  return key.name;
}

/**
 * The identity a signer signs as. A key names its identity (a dmconfirm key file its name, an
 * SSH key its comment, as `trust add-key` takes them): a different `--requester` would only be
 * refused by the agent (that key is not the named identity's), so it is refused here, naming
 * both. A key added under another identity (`trust add-key --identity`) is checked against the
 * trust root instead (`--trust`, see trustedIdentity).
 */
export function signerIdentity(
  key: Signer | undefined,
  given: string | undefined,
  o: { option: string; keyOption?: string | undefined },
): string | undefined {
  if (!key) return given;
  const own = ownName(key);
  if (given !== undefined && given !== own)
    throw new CliError(
      `${o.option} "${given}" is not the identity of the signing key${o.keyOption ? ` ${o.keyOption}` : ''} ` +
        `("${own}", key id ${key.keyId}): leave ${o.option} out to sign as "${own}", sign with a key of ` +
        `"${given}", or give --trust TRUST.json when the key was added to "${given}" under another name`,
      2,
    );
  return own;
}
