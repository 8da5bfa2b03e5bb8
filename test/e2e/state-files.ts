// What the agent's state directory holds, read synchronously (at a kill, or while polling).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_EXTENSION, type OperationRecord } from '../../src/agent/journal.js';
import { TRUST_LEDGER_FILE } from '../../src/trust/trust-ledger.js';

/** The whole lines of a JSON-lines state file (a torn last line dropped), or undefined when it is missing. */
function jsonLines(path: string): unknown[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as unknown);
}

/** Where the journal keeps a router's operation. */
export function journalFile(stateDir: string, router: string): string {
  return join(stateDir, 'operations', `${router}${JOURNAL_EXTENSION}`);
}

/** The router's journaled operation (its last record), or undefined when none is journaled. */
export function journalRecord(stateDir: string, router: string): OperationRecord | undefined {
  return jsonLines(journalFile(stateDir, router))?.at(-1) as OperationRecord | undefined;
}

/** The trust ledger's sections as its lines leave them (later lines win); empty when there is none. */
export function ledgerSections(stateDir: string): Record<string, unknown> {
  return Object.assign({}, ...ledgerLines(stateDir)) as Record<string, unknown>;
}

/** The trust ledger's lines, each naming the sections it replaces; empty when there is none. */
export function ledgerLines(stateDir: string): Array<Record<string, unknown>> {
  return (jsonLines(join(stateDir, TRUST_LEDGER_FILE)) ?? []) as Array<Record<string, unknown>>;
}
