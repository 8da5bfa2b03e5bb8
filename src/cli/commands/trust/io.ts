import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { writeFileAtomic } from '../../../store/atomic-file.js';
import { describeChange } from '../../../trust/change.js';
import { parseEnvelope, unverifiedPayload } from '../../../trust/jws.js';
import type { Envelope } from '../../../trust/jws.js';
import { loadSigningKey } from '../../../trust/keys.js';
import type { SigningKey } from '../../../trust/keys.js';
import { TrustError } from '../../../trust/refusal.js';
import { readAnyMessage } from '../../../trust/message-read.js';
import type { SignedMessage } from '../../../trust/messages.js';
import { CliError } from '../../cli-error.js';
import { DraftError } from '../../../trust/drafts.js';
import { draftErrorLine } from '../../option-names.js';

/** Exit codes of the trust commands: 1 refused by verification, 2 bad input or usage. */
export const EXIT_REFUSED = 1;
export const EXIT_INPUT = 2;

/** Reasons that are about the operator's input (options, files): the detail alone says it. */
const INPUT_REASONS = new Set(['bad-payload', 'key-file']);

/** Runs a command body; trust errors become one clear line with an exit code. */
export function cliAction<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (error) {
      // Bad input is said in the user's terms; other refusals keep their reason code.
      if (error instanceof DraftError) throw new CliError(draftErrorLine(error), EXIT_INPUT);
      if (error instanceof TrustError)
        throw new CliError(
          INPUT_REASONS.has(error.reason) ? error.detail : `${error.reason}: ${error.detail}`,
          EXIT_INPUT,
        );
      throw error;
    }
  };
}

/** Repeatable option values; "a,b" counts as two; an empty item ("a,,b", "a,") is a mistake. */
export function collect(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((v) => v.trim());
  if (items.some((item) => item === ''))
    throw new InvalidArgumentError('an item is empty (two commas, or one at an end)');
  return [...previous, ...items];
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT_INPUT);
  }
}

export async function readEnvelopeFile(
  path: string,
): Promise<{ text: string; envelope: Envelope; payload: Record<string, unknown>; payloadBytes: Buffer }> {
  const text = await readText(path);
  const envelope = parseEnvelope(text);
  const payload = unverifiedPayload(envelope);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    throw new CliError(`${path}: payload is not an object`, EXIT_INPUT);
  return {
    text,
    envelope,
    payload: payload as Record<string, unknown>,
    payloadBytes: Buffer.from(envelope.payload, 'base64url'),
  };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes an envelope (pretty JSON; signatures cover the base64url strings inside, not the layout). */
export async function writeEnvelope(path: string, envelope: Envelope, options: { overwrite: boolean }): Promise<void> {
  if (!options.overwrite && (await exists(path)))
    throw new CliError(`${path} already exists; refusing to overwrite`, EXIT_INPUT);
  await writeFileAtomic(path, JSON.stringify(envelope, null, 2) + '\n', 0o644);
}

/** `--key alice` finds alice.key too. */
export async function loadKeyOption(path: string): Promise<SigningKey> {
  if (!(await exists(path)) && (await exists(`${path}.key`))) return loadSigningKey(`${path}.key`);
  return loadSigningKey(path);
}

/** What a message asks for, in the words an operator checks before signing; from the agent's own reading. */
export function describeSigned(m: SignedMessage): string {
  const router = m.router.serial !== undefined ? `serial ${m.router.serial}` : `system-id ${m.router.systemId ?? '?'}`;
  const target = `agent ${m.agent}, router ${router}`;
  const when =
    (m.window ? ` window ${m.window.notBefore ?? '…'} .. ${m.window.notAfter ?? '…'}` : '') +
    (m.urgent ? ' URGENT' : '');
  switch (m.kind) {
    case 'change-request':
      return (
        `change request ${m.requestId}: ${describeChange(m.change)} by ${m.method} on ${target}${when}; ` +
        `requested by ${m.requester.name}`
      );
    case 'approval':
      return (
        `approval ${m.requestId} of challenge ${m.challenge.challengeId} ` +
        `(attempt-count ${m.challenge.observed.attemptCount}): expect ${describeChange(m.expect)} by ${m.method} ` +
        `on ${target}${when}`
      );
    case 'power-cycle':
      return `power cycle ${m.requestId} (${m.reason}) on ${target}${when}; requested by ${m.requester.name}`;
    case 'cancel':
      return (
        `cancel ${m.requestId} of scheduled order ${m.cancels} ` +
        `on ${target}${when}; requested by ${m.requester.name}`
      );
  }
}

/** A payload as built or read: a trust root, or a signed message read by the one parser. */
export function describeMessage(payload: Record<string, unknown>): string {
  if (payload.type === 'dmconfirm-trust-root') return `trust root v${String(payload.version)}`;
  return describeSigned(readAnyMessage(JSON.stringify(payload)));
}
