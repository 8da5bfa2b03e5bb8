import { statfs } from 'node:fs/promises';
import { writingState } from './state-error.js';

/** Free space the state directory's file system must have for an order to be recorded as used. */
export const STATE_HEADROOM_BYTES = 64 * 1024;

/**
 * Refuses (a StateWriteError, ENOSPC, naming `path`) when the state directory's file system has
 * less than STATE_HEADROOM_BYTES free for this process. On a full disk an append can still fit
 * in the slack of its file's last block while the write after it cannot: without this, the
 * trust ledger could record an order as used and the operation's own record then fail, so the
 * order would be refused and its resend `replayed`. With it, a (nearly) full disk refuses the
 * order before anything of it is used, and the same bytes work once there is room.
 */
export function ensureHeadroom(dir: string, path: string): Promise<void> {
  return writingState(path, async () => {
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    if (free >= STATE_HEADROOM_BYTES) return;
    const error = new Error(
      `${free} bytes free on the state directory's file system, under the ${STATE_HEADROOM_BYTES} ` +
        'an order needs to be recorded with its operation',
    );
    throw Object.assign(error, { code: 'ENOSPC' });
  });
}
