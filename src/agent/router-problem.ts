import type { RouterProblemCause } from '../mqtt/contract.js';
import type { AlarmInput } from './router-context.js';
import {
  RouterAuthError,
  RouterTimeoutError,
  RouterTlsError,
  RouterUnreachableError,
  type RouterError,
} from '../routeros/errors.js';

/**
 * Why a connect to the router failed, in the words an operator can act on: a wrong
 * password, nothing listening on the API port, no answer at all, a certificate that is
 * not the pinned one, or the network in between.
 */
export function problemCause(error: RouterError): RouterProblemCause {
  if (error instanceof RouterAuthError) return 'authentication-refused';
  if (error instanceof RouterTlsError) return 'tls-fingerprint-mismatch';
  if (error instanceof RouterTimeoutError) return 'timeout';
  if (error instanceof RouterUnreachableError) {
    if (error.loginStalled || /timed out/.test(error.message)) return 'timeout';
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNREFUSED') return 'connection-refused';
    if (code === 'ETIMEDOUT') return 'timeout';
  }
  return 'unreachable';
}

/** What an operator should check for each cause (the alarm's message). */
export const PROBLEM_HINTS: Record<RouterProblemCause, string> = {
  'authentication-refused': 'the router refused the login: check the user name and password in the configuration',
  'connection-refused':
    'nothing accepts connections on the API port: is the api (or api-ssl) service enabled on that port?',
  timeout: 'the router does not answer in time: is it up, and is the port open on its firewall?',
  'tls-fingerprint-mismatch':
    'the api-ssl certificate is not the pinned one: a replaced certificate, or someone in between',
  unreachable: 'the router cannot be reached: check the network path and the host name',
};

/** What the problem watch needs from its router's supervisor. */
export interface ProblemWatchDeps {
  /** Publishes the cause in the router state (null: connected again). */
  show: (problem: { cause: RouterProblemCause; message: string } | null) => void;
  alarm: (alarm: AlarmInput) => void;
  /** An operation of ours runs (it explains a router that is away, e.g. rebooting). */
  busy: () => boolean;
  /** A router away this long raises its alarm; default 120 s. */
  outageAlarmMs?: number | undefined;
}

/**
 * The cause is always in the router state. An alarm comes once per cause until a login
 * succeeds: at once for a configuration or security problem (login refused, certificate not
 * the pinned one); for a router that is merely away only when no operation of ours explains
 * it and it stayed away `outageAlarmMs` (a reboot is not an alarm: false alarms teach people
 * to ignore them).
 */
export class ProblemWatch {
  readonly #alarmed = new Set<RouterProblemCause>();
  /** performance.now() of the first failed connect since the last good one. */
  #awaySince: number | undefined;

  constructor(private readonly deps: ProblemWatchDeps) {}

  connected(): void {
    this.#alarmed.clear();
    this.#awaySince = undefined;
    this.deps.show(null);
  }

  failed(error: RouterError): void {
    const cause = problemCause(error);
    this.deps.show({ cause, message: error.message });
    this.#awaySince ??= performance.now();
    if (this.#alarmed.has(cause)) return;
    const configuration = cause === 'authentication-refused' || cause === 'tls-fingerprint-mismatch';
    const awayMs = performance.now() - this.#awaySince;
    if (!configuration && (this.deps.busy() || awayMs < (this.deps.outageAlarmMs ?? 120_000))) return;
    this.#alarmed.add(cause);
    const security = cause === 'tls-fingerprint-mismatch';
    this.deps.alarm({
      code: 'router-connection-problem',
      severity: security ? 'critical' : 'warning',
      type: security ? 'security' : 'alarm',
      message: `${PROBLEM_HINTS[cause]} (${error.message})`,
      data: { cause },
    });
  }
}
