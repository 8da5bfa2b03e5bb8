/**
 * Typed failures of the RouterOS client. Nothing outside src/routeros ever sees a
 * node-routeros RosException or a bare string rejection: every path maps to one of these.
 */

export type RouterErrorKind = 'auth' | 'unreachable' | 'timeout' | 'trap' | 'closed' | 'tls' | 'protocol' | 'aborted';

export abstract class RouterError extends Error {
  abstract readonly kind: RouterErrorKind;
  constructor(
    message: string,
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The router answered the login with a trap: wrong user name or password. */
export class RouterAuthError extends RouterError {
  override readonly name = 'RouterAuthError';
  readonly kind = 'auth';
}

/** No TCP (or TLS) session could be established, or the connect timed out. */
export class RouterUnreachableError extends RouterError {
  override readonly name = 'RouterUnreachableError';
  readonly kind = 'unreachable';
  /** When the client is backing off: how long until it tries again. */
  retryInMs?: number;
  /**
   * TCP (and TLS) came up but the login got no answer: the router is there but silent,
   * as when it stalls other sessions while a device-mode change is pending.
   */
  loginStalled?: boolean;
}

/** A call got no final answer in time. The connection may still be alive (a stall). */
export class RouterTimeoutError extends RouterError {
  override readonly name = 'RouterTimeoutError';
  readonly kind = 'timeout';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    host: string,
  ) {
    super(`${command} got no answer within ${timeoutMs} ms`, host);
  }
}

/** RouterOS refused a command: `!trap` with its message and optional category. */
export class RouterTrapError extends RouterError {
  override readonly name = 'RouterTrapError';
  readonly kind = 'trap';
  constructor(
    readonly command: string,
    readonly routerMessage: string,
    readonly category: number | undefined,
    host: string,
  ) {
    super(`${command}: ${routerMessage}${category === undefined ? '' : ` (category ${category})`}`, host);
  }
}

/** The connection ended (router rebooted, `!fatal`, reset, or we closed it) before an answer. */
export class RouterClosedError extends RouterError {
  override readonly name = 'RouterClosedError';
  readonly kind = 'closed';
}

/** The api-ssl certificate does not match the pinned fingerprint; nothing was sent. */
export class RouterTlsError extends RouterError {
  override readonly name = 'RouterTlsError';
  readonly kind = 'tls';
}

/** Bytes that are not the RouterOS API (or that the wrapped library could not digest). */
export class RouterProtocolError extends RouterError {
  override readonly name = 'RouterProtocolError';
  readonly kind = 'protocol';
}

/** The caller's AbortSignal fired. */
export class RouterAbortedError extends RouterError {
  override readonly name = 'RouterAbortedError';
  readonly kind = 'aborted';
}

export function isRouterError(error: unknown): error is RouterError {
  return error instanceof RouterError;
}
