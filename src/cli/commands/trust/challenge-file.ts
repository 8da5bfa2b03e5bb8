import { challengeSchema } from '../../../trust/messages.js';
import type { Challenge } from '../../../trust/messages.js';
import { CliError } from '../../cli-error.js';
import { EXIT_INPUT, readText } from './io.js';

/** A challenge given as a file or inline JSON. */
export async function readChallenge(value: string): Promise<Challenge> {
  const text = value.trim().startsWith('{') ? value : await readText(value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError('the challenge is not JSON', EXIT_INPUT);
  }
  const parsed = challengeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`not a dmconfirm challenge: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? ''}`, EXIT_INPUT);
  }
  return parsed.data;
}
