/**
 * The end of a wait for an operation's answers: the final answer, the time limit, or the
 * operator stopping (Ctrl-C), which ends only our following, never the operation.
 */
import { EXIT, formatDuration, outcome, summary } from './progress.js';
import type { ExitCode, Following } from './progress.js';
import type { ProgressReader } from './progress-reader.js';
import type { Terminal } from './terminal.js';

export interface WaitResult {
  code: ExitCode;
  summary: string;
  following?: Following;
}

export async function waitForEnd(
  reader: ProgressReader,
  term: Terminal,
  o: { timeoutMs: number; agent: string; until?: Promise<unknown> | undefined; followHint?: string | undefined },
): Promise<WaitResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), o.timeoutMs)));
  const stopped = (o.until ?? new Promise<never>(() => undefined)).then(() => 'stopped' as const);
  term.spin(() => {
    const last = reader.following.steps.at(-1);
    const elapsed = formatDuration(Date.now() - reader.following.sentAt);
    return last ? `${last.state} … ${elapsed}` : `waiting for agent ${o.agent} … ${elapsed}`;
  });
  const end = await Promise.race([reader.over.then(() => 'over' as const), timedOut, stopped]);
  clearTimeout(timer);
  term.stop();
  const following = reader.following;
  if (end === 'stopped' && outcome(following) === EXIT.timeout) {
    const last = following.steps.at(-1);
    return {
      code: EXIT.interrupted,
      summary:
        `stopped following${last ? ` (last state: ${last.state})` : ''}; the operation goes on at the agent. ` +
        `Follow it again with: ${o.followHint ?? `dmconfirm follow ${reader.requestId}`}`,
      following,
    };
  }
  const code = outcome(following);
  return { code, summary: summary(following, code, o.timeoutMs), following };
}
