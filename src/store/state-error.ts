/**
 * A write to the agent's state directory that did not become durable: the directory went
 * read-only, the disk is full, the card failed. Everything that must survive a crash (the
 * journal, replay ids, nonces, rate budget, the audit log) throws this, so the agent can
 * tell "cannot record" (fail closed: refuse, alarm, keep running) from a bug (crash).
 */
export class StateWriteError extends Error {
  /** The errno code (EROFS, ENOSPC, EDQUOT, EIO, ...), or 'EUNKNOWN'. */
  readonly code: string;

  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    const code = errnoOf(cause);
    super(`cannot write ${path}: ${code}${cause instanceof Error && cause.message ? ` (${cause.message})` : ''}`);
    this.name = 'StateWriteError';
    this.code = code;
  }
}

function errnoOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

/** Wraps an error from writing `path` (a StateWriteError passes through unchanged). */
export function stateWriteError(path: string, error: unknown): StateWriteError {
  return error instanceof StateWriteError ? error : new StateWriteError(path, error);
}

/** Runs a write of `path`; any failure becomes a StateWriteError naming the path and errno. */
export async function writingState<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw stateWriteError(path, error);
  }
}
