/**
 * Following one signed order on `progress/<requestId>`: pure decisions about which answers
 * count, when the wait is over and what exit code a script gets. The runner (send.ts)
 * feeds messages in; nothing here touches the network or the terminal.
 */
import type { AgentResponse, ProgressData } from '../mqtt/contract.js';

/** Exit codes of `--wait`, for scripts. */
export const EXIT = {
  done: 0,
  failed: 1,
  refused: 2,
  timeout: 3,
  unreachable: 4,
  /** The operator stopped following (Ctrl-C; 128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One accepted answer, with when we received it. */
export interface ProgressStep {
  receivedAt: number;
  status: 'ok' | 'error';
  state: ProgressData['state'];
  router?: string | undefined;
  operationId?: string | undefined;
  detail?: string | undefined;
  error?: { code: string; message: string } | undefined;
  final: boolean;
}

export interface Following {
  requestId: string;
  /** messageDigest of the exact bytes we published. */
  digest: string;
  sentAt: number;
  steps: ProgressStep[];
  /** Answers dropped because they did not quote our bytes (forgeries, other senders). */
  ignored: number;
}

export function startFollowing(requestId: string, digest: string, sentAt: number): Following {
  return { requestId, digest, sentAt, steps: [], ignored: 0 };
}

export type Verdict = { accept: true } | { accept: false; why: string };

/**
 * Whether an answer is to the message we sent: same request id and, above all, the digest
 * of our exact bytes. Someone who reused our request id with other bytes gets answers that
 * quote their digest, not ours; an answer that quotes none proves nothing.
 */
export function judgeAnswer(f: Following, answer: AgentResponse): Verdict {
  if (answer.id !== f.requestId) return { accept: false, why: `answer for request ${answer.id}, not ${f.requestId}` };
  if (answer.data.inReplyTo === undefined)
    return { accept: false, why: 'answer does not say which message it answers (no inReplyTo)' };
  if (answer.data.inReplyTo !== f.digest)
    return { accept: false, why: 'answer to other bytes under our request id (inReplyTo differs)' };
  return { accept: true };
}

/** Folds one parsed answer into the follow state; returns the new state and whether it counted. */
export function foldAnswer(
  f: Following,
  answer: AgentResponse,
  receivedAt: number,
): { following: Following; step?: ProgressStep; why?: string } {
  const verdict = judgeAnswer(f, answer);
  if (!verdict.accept) return { following: { ...f, ignored: f.ignored + 1 }, why: verdict.why };
  const step: ProgressStep = {
    receivedAt,
    status: answer.status,
    state: answer.data.state,
    router: answer.data.router,
    operationId: answer.data.operationId,
    detail: answer.data.detail,
    error: answer.error,
    final: answer.data.final,
  };
  return { following: { ...f, steps: [...f.steps, step] }, step };
}

/** The wait is over at the final answer, or when the order was scheduled (it acts when its window opens). */
export function isOver(f: Following): boolean {
  return f.steps.some((s) => s.final || scheduledStep(s));
}

function scheduledStep(s: ProgressStep): boolean {
  return s.state === 'scheduled' && s.status === 'ok';
}

/**
 * The exit code once the wait ends: 0 done; 2 refused, i.e. an error before the agent
 * reported any operation step; 1 any other end (failed, cancelled, expired, an error
 * mid-way); 3 no final answer (yet).
 */
export function outcome(f: Following): ExitCode {
  const final = f.steps.find((s) => s.final);
  if (!final) return f.steps.some(scheduledStep) ? EXIT.done : EXIT.timeout;
  const before = f.steps.slice(0, f.steps.indexOf(final));
  if (final.status === 'error' && !before.some((s) => s.status === 'ok')) return EXIT.refused;
  if (final.status === 'ok' && final.state === 'done') return EXIT.done;
  return EXIT.failed;
}

/** A one-line summary of how the wait ended, for the last line the operator reads. */
export function summary(f: Following, code: ExitCode, timeoutMs: number): string {
  const final = f.steps.find((s) => s.final);
  const reason = final?.error ? `${final.error.code}: ${final.error.message}` : final?.detail;
  const scheduled = final ? undefined : f.steps.find(scheduledStep);
  switch (code) {
    case EXIT.done:
      if (scheduled) return `scheduled${scheduled.detail ? `: ${scheduled.detail}` : ''}`;
      return `done${reason ? `: ${reason}` : ''}`;
    case EXIT.refused:
      return `refused${reason ? ` (${reason})` : ''}`;
    case EXIT.failed:
      return `${final?.state ?? 'failed'}${reason ? `: ${reason}` : ''}`;
    case EXIT.timeout:
      return f.steps.length === 0
        ? `no answer from the agent within ${formatDuration(timeoutMs)}`
        : `no final answer within ${formatDuration(timeoutMs)} (last state: ${f.steps.at(-1)?.state})`;
    default:
      return 'broker unreachable';
  }
}

/** "0.4s", "12s", "3m05s", "1h02m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Wall time as HH:MM:SSZ (UTC, so logs from several sites line up). */
export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

/** One line per accepted answer: `02:10:03Z  +1.2s  actuating      router main  power cut`. */
export function renderStep(step: ProgressStep, sentAt: number): string {
  const parts = [
    clockTime(step.receivedAt),
    `+${formatDuration(step.receivedAt - sentAt)}`.padStart(7),
    step.state.padEnd(16),
  ];
  const detail = [
    step.router ? `router ${step.router}` : undefined,
    step.error ? `error ${step.error.code}: ${step.error.message}` : undefined,
    step.detail !== step.error?.message ? step.detail : undefined,
  ].filter(Boolean);
  return `${parts.join('  ')}${detail.length > 0 ? `  ${detail.join('  ')}` : ''}`.trimEnd();
}
