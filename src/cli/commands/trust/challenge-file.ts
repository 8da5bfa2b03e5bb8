import { challengeSchema } from '../../../trust/messages.js';
import type { Challenge } from '../../../trust/messages.js';
import { parseStrict, StrictJsonError } from '../../../trust/strict-json.js';
import { CliError } from '../../cli-error.js';
import { EXIT_INPUT, readText } from './io.js';

/** A challenge given as a file or inline JSON, read by the same strict parser as the agent's messages. */
export async function readChallenge(value: string): Promise<Challenge> {
  const text = value.trim().startsWith('{') ? value : await readText(value);
  try {
    return parseStrict(challengeSchema, text);
  } catch (error) {
    if (error instanceof StrictJsonError)
      throw new CliError(`--challenge: not a dmconfirm challenge (${error.message})`, EXIT_INPUT);
    throw error;
  }
}
