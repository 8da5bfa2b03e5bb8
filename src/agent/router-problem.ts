import type { RouterProblemCause } from '../mqtt/contract.js';
import { RouterAuthError, RouterTimeoutError, RouterTlsError, RouterUnreachableError, type RouterError } from '../routeros/errors.js';

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
  'connection-refused': 'nothing accepts connections on the API port: is the api (or api-ssl) service enabled on that port?',
  timeout: 'the router does not answer in time: is it up, and is the port open on its firewall?',
  'tls-fingerprint-mismatch': 'the api-ssl certificate is not the pinned one: a replaced certificate, or someone in between',
  unreachable: 'the router cannot be reached: check the network path and the host name',
};
