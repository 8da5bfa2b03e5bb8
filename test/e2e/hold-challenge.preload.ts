/**
 * TEST ONLY preload for the daemon (`node --import tsx --import ./test/e2e/hold-challenge.preload.ts`):
 * the write of a challenge nonce (`nonces.json`, replaced through a `.nonces.json.*.tmp`
 * file) never completes, as on a disk that stopped answering. An observed change then stays
 * in `pending-observed` (journaled, alarm raised, challenge not yet issued) until the process
 * is killed: the one agent state with no router or broker exchange to hold it at.
 */
import fs from 'node:fs/promises';
import { basename } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';

const open = fs.open;
const held: typeof open = (path, ...rest) => {
  if (typeof path === 'string' && basename(path).startsWith('.nonces.json.'))
    return new Promise<never>(() => undefined);
  return open(path, ...rest);
};
fs.open = held;
syncBuiltinESMExports();
