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
  const requester = payload.requester as { keyId?: unknown } | undefined;
  return requester?.keyId === key.keyId
    ? `  signed by requester "${key.name}" (does not count as an approval)`
    : `  signed by "${key.name}" (counts as an approval)`;
}

/**
 * The identity a signer signs as. A dmconfirm key file names its identity: a different
 * `--requester` (or `--coordinator`...) would only be refused by the agent (that key is not
 * the named identity's), so it is refused here, naming both. An SSH key carries no identity
 * (its comment is a hint): there the name given is taken, as documented.
 */
export function signerIdentity(
  key: Signer | undefined,
  given: string | undefined,
  o: { option: string; keyOption?: string | undefined },
): string | undefined {
  if (!key || !('privateKey' in key)) return given ?? key?.name;
  if (given !== undefined && given !== key.name)
    throw new CliError(
      `${o.option} "${given}" is not the identity of the signing key${o.keyOption ? ` ${o.keyOption}` : ''} ` +
        `("${key.name}", key id ${key.keyId}): leave ${o.option} out to sign as "${key.name}", ` +
        `or sign with a key of "${given}"`,
      2,
    );
  return key.name;
}
