import { CliError } from './cli-error.js';
import { notOneOf } from '../text/did-you-mean.js';

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
