/**
 * TEST ONLY preload for the daemon (`node --import tsx --import ./test/e2e/hold-actuating.preload.ts`):
 * the journal write of an operation's `actuating` record (a line appended to
 * `operations/<router>.jsonl`) never completes, as on a disk that stopped
 * answering. An approved operation then stays `challenged` with its approval recorded as
 * used in the trust ledger, and nothing acts, until the process is killed: the moment
 * between the approval's commit and the record that goes with the first edge, which has no
 * router or broker exchange to hold it at (the router is read while the commit is written).
 */
import fs from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';

const open = fs.open;
const held: typeof open = async (path, ...rest) => {
  const handle = await open(path, ...rest);
  if (typeof path === 'string' && basename(dirname(path)) === 'operations' && path.endsWith('.jsonl')) {
    const write = handle.writeFile.bind(handle);
    handle.writeFile = (data, ...more) =>
      String(data).includes('"state":"actuating"') ? new Promise<never>(() => undefined) : write(data, ...more);
  }
  return handle;
};
fs.open = held;
syncBuiltinESMExports();
