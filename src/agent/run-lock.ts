/**
 * One agent per state directory, and tools that write what the agent writes (the audit
 * log, pairing.json) can tell that it runs: the agent holds `agent.pid` (its pid, created
 * exclusively) from start to stop. A file left by a killed agent names a pid that is gone,
 * or a process that is not a dmconfirm agent; it is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class AgentRunningError extends Error {
  constructor(
    readonly pid: number,
    stateDir: string,
  ) {
    super(`a dmconfirm agent (pid ${pid}) is running on ${stateDir}`);
    this.name = 'AgentRunningError';
  }
}

function lockFile(stateDir: string): string {
  return join(stateDir, 'agent.pid');
}

/** The pid of a live dmconfirm agent holding this state directory, if any. */
export async function runningAgent(stateDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(lockFile(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAgent(pid) ? pid : undefined;
}

function isAgent(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  try {
    // A recycled pid belongs to some other program: only an agent's command line counts.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('agent');
  } catch {
    return true; // no /proc: a live pid is taken at its word
  }
}

/** Takes the state directory for this process; AgentRunningError when a live agent holds it. */
export async function acquireRunLock(stateDir: string): Promise<() => Promise<void>> {
  const file = lockFile(stateDir);
  for (let tries = 0; ; tries++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw error;
      const pid = await runningAgent(stateDir);
      if (pid !== undefined) throw new AgentRunningError(pid, stateDir);
      await unlink(file).catch(() => undefined); // stale: left by an agent that is gone
    }
  }
}
