/**
 * Children that tests start (mosquitto, agents, listeners) must not outlive the test
 * process, however it ends: normal exit, or SIGTERM/SIGINT from the runner on a timeout
 * (the signal is re-raised after the children are killed, so the default exit follows).
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Registers a child to be SIGKILLed when this process goes away. */
export function reapOnExit(child: ChildProcess): ChildProcess {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}
