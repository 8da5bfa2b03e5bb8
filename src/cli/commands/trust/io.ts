import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../../store/atomic-file.js';
import { describeChange } from '../../../trust/change.js';
import { parseEnvelope, unverifiedPayload } from '../../../trust/jws.js';
import type { Envelope } from '../../../trust/jws.js';
import { loadSigningKey } from '../../../trust/keys.js';
import type { SigningKey } from '../../../trust/keys.js';
import { TrustError } from '../../../trust/refusal.js';
import { CliError } from '../../cli-error.js';

/** Exit codes of the trust commands: 1 refused by verification, 2 bad input or usage. */
export const EXIT_REFUSED = 1;
export const EXIT_INPUT = 2;

/** Runs a command body; trust errors become one clear line with an exit code. */
/** Reasons that are about the operator's input (options, files): the detail alone says it. */
const INPUT_REASONS = new Set(['bad-payload', 'key-file']);

export function cliAction<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (error) {
      // Bad input is said in the user's terms; other refusals keep their reason code.
      if (error instanceof TrustError) throw new CliError(INPUT_REASONS.has(error.reason) ? error.detail : `${error.reason}: ${error.detail}`, EXIT_INPUT);
      throw error;
    }
  };
}

/** Repeatable option values; "a,b" counts as two. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT_INPUT);
  }
}

export async function readEnvelopeFile(path: string): Promise<{ text: string; envelope: Envelope; payload: Record<string, unknown> }> {
  const text = await readText(path);
  const envelope = parseEnvelope(text);
  const payload = unverifiedPayload(envelope);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new CliError(`${path}: payload is not an object`, EXIT_INPUT);
  return { text, envelope, payload: payload as Record<string, unknown> };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes an envelope (pretty JSON; signatures cover the base64url strings inside, not the layout). */
export async function writeEnvelope(path: string, envelope: Envelope, options: { overwrite: boolean }): Promise<void> {
  if (!options.overwrite && (await exists(path))) throw new CliError(`${path} already exists; refusing to overwrite`, EXIT_INPUT);
  await writeFileAtomic(path, JSON.stringify(envelope, null, 2) + '\n', 0o644);
}

/** `--key alice` finds alice.key too. */
export async function loadKeyOption(path: string): Promise<SigningKey> {
  if (!(await exists(path)) && (await exists(`${path}.key`))) return loadSigningKey(`${path}.key`);
  return loadSigningKey(path);
}

/** What a message asks for, in the words an operator checks before signing. */
export function describeMessage(payload: Record<string, unknown>): string {
  const router = payload.router as { serial?: string; systemId?: string } | undefined;
  const target = `agent ${String(payload.agent)}, router ${router?.serial ? `serial ${router.serial}` : `system-id ${router?.systemId ?? '?'}`}`;
  const window = payload.window as { notBefore?: string; notAfter?: string } | undefined;
  const when = window ? ` window ${window.notBefore ?? '…'} .. ${window.notAfter ?? '…'}` : '';
  const requester = payload.requester as { name?: string } | undefined;
  const by = ` requested by ${requester?.name ?? '?'}`;
  switch (payload.kind) {
    case 'change-request':
      return `change request ${String(payload.requestId)}: ${describeChange(payload.change as never)} by ${String(payload.method)} on ${target}${when};${by}`;
    case 'approval': {
      const challenge = payload.challenge as { challengeId?: string; observed?: { attemptCount?: number } };
      return `approval ${String(payload.requestId)} of challenge ${challenge.challengeId} (attempt-count ${challenge.observed?.attemptCount}): expect ${describeChange(payload.expect as never)} by ${String(payload.method)} on ${target}${when};${by}`;
    }
    case 'power-cycle':
      return `power cycle ${String(payload.requestId)} (${String(payload.reason)}) on ${target}${when};${by}`;
    case undefined:
      if (payload.type === 'dmconfirm-trust-root') return `trust root v${String(payload.version)}`;
      return 'unknown message';
    default:
      return `unknown message kind ${JSON.stringify(payload.kind)}`;
  }
}
