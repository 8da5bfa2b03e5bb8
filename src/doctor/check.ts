/** One line of `dmconfirm doctor`: what was checked, how it went, and how to fix it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail, as a command or a config key where possible. */
  fix?: string | undefined;
}

export function pass(name: string, detail: string): CheckResult {
  return { name, status: 'ok', detail };
}

export function warn(name: string, detail: string, fix: string): CheckResult {
  return { name, status: 'warn', detail, fix };
}

export function fail(name: string, detail: string, fix: string): CheckResult {
  return { name, status: 'fail', detail, fix };
}

/** 0 only when nothing failed; warnings are worth reading but do not stop the agent. */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

const MARK: Record<CheckStatus, string> = { ok: 'PASS', warn: 'WARN', fail: 'FAIL' };

/** `PASS  state directory: /var/lib/dmconfirm` plus an indented `fix:` line when needed. */
export function formatCheck(result: CheckResult): string[] {
  const lines = [`${MARK[result.status]}  ${result.name}: ${result.detail}`];
  if (result.fix && result.status !== 'ok') lines.push(`      fix: ${result.fix}`);
  return lines;
}

export function formatSummary(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const failed = count('fail');
  return (
    `${results.length} checks: ${count('ok')} passed, ${count('warn')} ` +
    `warning(s), ${failed} failed${failed === 0 ? ' — ready to run' : ''}`
  );
}

/** Mode bits as `0644`. */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}
