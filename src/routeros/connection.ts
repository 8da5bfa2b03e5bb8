import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import {
  RouterAbortedError,
  RouterAuthError,
  RouterClosedError,
  RouterProtocolError,
  RouterTimeoutError,
  RouterTlsError,
  RouterTrapError,
  RouterUnreachableError,
  type RouterError,
} from './errors.js';
import { startRosSession, type RosSession } from './node-routeros.js';
import { sentenceAttributes, sentenceTag, trapDetails } from './reply-words.js';
import { SentenceFramer, type FramedSentence } from './wire.js';
import { normalizeFingerprint, type RouterEndpoint, endpointPort } from './endpoint.js';

/** One reply row: the `=key=value` attributes of a `!re` (or of a `!done` that carries data). */
export type Row = Record<string, string>;

export interface CommandOptions {
  /** Overrides the endpoint's timeoutMs; 0 waits for ever (only for a deliberately blocking call). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each `!re` as it arrives, e.g. progress while a device-mode update is pending. */
  onRow?: (row: Row) => void;
}

/**
 * One hardened API session on top of node-routeros. What it fixes (see the reference):
 * - Reply bytes are reassembled into whole sentences by our framer before node-routeros
 *   sees them (it otherwise splits sentences at TCP chunk boundaries).
 * - `!empty` (7.18+) is dropped (node-routeros throws UNKNOWNREPLY, then UNREGISTEREDTAG);
 *   `!fatal`, unknown reply types and sentences for unknown tags never reach it either.
 * - An `error` listener is always attached and the socket idle timeout is switched off
 *   after login (an unheard idle-timeout `error` kills the process, and a legitimately
 *   silent pending update must not be cut).
 * - Commands go through a Channel of our own rather than `api.write()`, which arms the
 *   `#` keepalive every timeout/2 while a command is in flight.
 * - Every command races the socket's close, a timeout and an AbortSignal, so no promise
 *   is left unsettled; timeouts and aborts send `/cancel` for the command's tag.
 * - api-ssl pins the certificate's SHA-256 fingerprint before any byte is written.
 * A connection is single-use: after close, make a new one (node-routeros cannot reconnect).
 */
export class RouterConnection extends EventEmitter<{ close: [RouterError] }> {
  private session: RosSession | undefined;
  private readonly framer = new SentenceFramer();
  private readonly traps = new Map<string, { message: string; category: number | undefined }>();
  /** Rows per command tag, decoded by us (node-routeros reads every byte as Windows-1252). */
  private readonly replies = new Map<string, { rows: Row[]; onRow: ((row: Row) => void) | undefined }>();
  private readonly closeWaiters = new Set<(error: RouterError) => void>();
  private closedWith: RouterError | undefined;
  private socketClosed: Promise<void> | undefined;
  private loginTrap: string | undefined;
  private tlsFailure: RouterTlsError | undefined;
  private socketError: Error | undefined;
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new';
  readonly log: Logger;

  constructor(
    readonly endpoint: RouterEndpoint,
    logger: Logger = silentLogger(),
  ) {
    super();
    this.log = logger.child({ host: endpoint.host, port: endpointPort(endpoint) });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get host(): string {
    return this.endpoint.host;
  }

  /** Connects and logs in; rejects with RouterUnreachableError, RouterAuthError or RouterTlsError. */
  async open(connectTimeoutMs = this.endpoint.timeoutMs ?? 5000): Promise<void> {
    if (this.state !== 'new') throw new Error('a RouterConnection is single-use');
    this.state = 'connecting';
    const { host } = this.endpoint;
    const port = endpointPort(this.endpoint);
    const login = {
      host,
      port,
      user: this.endpoint.username,
      password: this.endpoint.password.reveal(),
      connectTimeoutMs,
      ...(this.endpoint.tls?.enabled ? { tls: this.tlsOptions() } : {}),
    };
    const session = startRosSession(login, (error: unknown) =>
      this.shutdown(new RouterClosedError(`connection failed: ${describe(error)}`, host, { cause: error })),
    );
    this.session = session;
    const connecting = session.login;
    this.attachSocket(session.socket);

    let timer: NodeJS.Timeout | undefined;
    let onClose: ((error: RouterError) => void) | undefined;
    try {
      await Promise.race([
        connecting,
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new RouterUnreachableError(`connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`, host),
              ),
            connectTimeoutMs,
          );
        }),
        new Promise((_, reject) => {
          onClose = reject;
          this.closeWaiters.add(reject);
        }),
      ]);
    } catch (error) {
      const typed = this.connectError(error, port);
      this.abortWith(typed);
      throw typed;
    } finally {
      clearTimeout(timer);
      if (onClose) this.closeWaiters.delete(onClose);
    }
    // The session may have ended between the login's answer and this line.
    if (this.closedWith) throw this.connectError(this.closedWith, port);
    // node-routeros keeps the connect-phase idle timeout; a quiet session is legitimate.
    session.socket.setTimeout(0);
    this.state = 'open';
    this.log.debug('logged in');
  }

  /** Runs one command; resolves with its rows or rejects with a typed RouterError. */
  command(words: readonly string[], options: CommandOptions = {}): Promise<Row[]> {
    const name = words[0] ?? '(empty)';
    const session = this.session;
    if (this.state !== 'open' || !session) {
      return Promise.reject(this.closedWith ?? new RouterClosedError(`${name}: connection is not open`, this.host));
    }
    const timeoutMs = options.timeoutMs ?? this.endpoint.timeoutMs ?? 5000;
    let tag = '';
    return new Promise<Row[]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const onClose = (error: RouterError) => finish(error);
      const onAbort = () => {
        finish(new RouterAbortedError(`${name}: aborted`, this.host));
        this.cancelTag(tag);
      };
      const finish = (error: RouterError | undefined, rows?: Row[]) => {
        if (settled) return;
        settled = true;
        this.closeWaiters.delete(onClose);
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.traps.delete(tag);
        this.replies.delete(tag);
        if (error) reject(error);
        else resolve(rows ?? []);
      };
      if (options.signal?.aborted) {
        reject(new RouterAbortedError(`${name}: aborted`, this.host));
        return;
      }
      this.closeWaiters.add(onClose);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          finish(new RouterTimeoutError(name, timeoutMs, this.host));
          this.cancelTag(tag);
        }, timeoutMs);
      }
      const reply = { rows: [] as Row[], onRow: options.onRow };
      const sent = session.run(words);
      tag = sent.tag;
      this.replies.set(tag, reply);
      sent.written.then(
        () => finish(undefined, reply.rows),
        (error: unknown) => {
          const trap = this.traps.get(tag);
          finish(new RouterTrapError(name, trap?.message ?? describe(error), trap?.category, this.host));
        },
      );
    });
  }

  /** Closes the session; pending commands reject with RouterClosedError. Never hangs. */
  async close(): Promise<void> {
    const socket = this.session?.socket;
    this.shutdown(new RouterClosedError('connection closed by us', this.host));
    if (socket && !socket.destroyed) {
      socket.end();
      // A router that stopped answering may never finish the TCP close.
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    await this.socketClosed;
  }

  /** Drops a session known to be dead (e.g. the router rebooted behind a silent socket). */
  destroy(reason: string): void {
    this.abortWith(new RouterClosedError(reason, this.host));
  }

  private tlsOptions(): TlsOptions {
    const pin = this.endpoint.tls?.fingerprint;
    // With a pin we verify the certificate ourselves (routers use self-signed ones);
    // without one the system trust store decides. Verification is never simply off.
    return pin ? { rejectUnauthorized: false } : { rejectUnauthorized: true };
  }

  private attachSocket(socket: Socket | TLSSocket): void {
    // Small request/answer sentences: Nagle's delay would cost ~40 ms per command.
    socket.setNoDelay(true);
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () =>
      this.shutdown(
        new RouterClosedError(
          `connection to ${this.host} closed${this.socketError ? `: ${describe(this.socketError)}` : ''}`,
          this.host,
        ),
      ),
    );
    socket.on('error', (error: Error) => {
      this.socketError = error;
    });
    // node-routeros's chunk-driven parser input is detached (node-routeros.ts): whole sentences only.
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const pin = this.endpoint.tls?.enabled ? this.endpoint.tls.fingerprint : undefined;
    if (pin) {
      // Runs before node-routeros's own secureConnect callback, which logs in at once.
      socket.prependOnceListener('secureConnect', () => this.checkPin(socket as TLSSocket, pin));
    }
  }

  private checkPin(socket: TLSSocket, pin: string): void {
    const actual = socket.getPeerCertificate().fingerprint256 ?? '';
    if (normalizeFingerprint(actual) === normalizeFingerprint(pin)) return;
    this.tlsFailure = new RouterTlsError(
      `certificate fingerprint ${actual || '(none)'} does not match the pinned one; not logging in`,
      this.host,
    );
    this.log.error({ actual }, 'api-ssl certificate does not match the pinned fingerprint');
    // A destroyed socket is not writable: node-routeros queues the login instead of sending it.
    socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let sentences: FramedSentence[];
    try {
      sentences = this.framer.push(chunk);
    } catch (error) {
      this.abortWith(new RouterProtocolError(`undecodable reply: ${describe(error)}`, this.host, { cause: error }));
      return;
    }
    for (const sentence of sentences) {
      if (this.state === 'closed') return;
      this.dispatch(sentence);
    }
  }

  private dispatch({ raw, words }: FramedSentence): void {
    const reply = words[0];
    if (reply === '!empty') return; // "no data"; the !done that follows ends the command
    if (reply === '!fatal') {
      const { message } = trapDetails(words);
      this.abortWith(new RouterClosedError(`router ended the session: ${message}`, this.host));
      return;
    }
    const tag = sentenceTag(words);
    const session = this.session;
    if ((reply !== '!re' && reply !== '!done' && reply !== '!trap') || tag === undefined || !session?.knowsTag(tag)) {
      this.log.warn({ words: words.slice(0, 3) }, 'dropping a reply node-routeros cannot route');
      return;
    }
    if (this.state === 'connecting' && (reply === '!re' || words.slice(1).some((w) => w.startsWith('!')))) {
      // node-routeros 1.6.9 takes a login answered with two or more rows as a success and
      // leaves a rejected promise unhandled, which ends the process. A real login answers
      // with one !done (or !trap) and never with rows.
      this.abortWith(
        new RouterProtocolError('the login was answered with rows; not a RouterOS login reply', this.host),
      );
      return;
    }
    if (reply === '!re' || (reply === '!done' && words.some((w) => w.startsWith('=')))) {
      const collecting = this.replies.get(tag);
      if (collecting) {
        const row = sentenceAttributes(words);
        collecting.rows.push(row);
        try {
          if (reply === '!re') collecting.onRow?.(row);
        } catch (error) {
          this.log.error({ err: error }, 'onRow callback failed');
        }
      }
    }
    if (reply === '!trap') {
      const details = trapDetails(words);
      this.traps.set(tag, details);
      if (this.state === 'connecting') this.loginTrap = details.message;
    }
    try {
      session.feed(raw);
    } catch (error) {
      this.abortWith(new RouterProtocolError(`reply parser failed: ${describe(error)}`, this.host, { cause: error }));
    }
  }

  /** Best effort: asks the router to stop a command we gave up on. */
  private cancelTag(tag: string): void {
    const session = this.session;
    if (this.state !== 'open' || !session) return;
    const cancel = session.run(['/cancel', `=tag=${tag}`]);
    // unref: this best-effort cleanup must not keep a stopping process alive.
    const timer = setTimeout(() => cancel.close(), 2000).unref();
    cancel.written.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
  }

  private abortWith(error: RouterError): void {
    this.shutdown(error);
    this.session?.socket.destroy();
  }

  private shutdown(error: RouterError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedWith = error;
    const waiters = [...this.closeWaiters];
    this.closeWaiters.clear();
    for (const waiter of waiters) waiter(error);
    this.log.debug({ reason: error.message }, 'connection closed');
    this.emit('close', error);
  }

  private connectError(error: unknown, port: number): RouterError {
    const host = this.endpoint.host;
    if (this.tlsFailure) return this.tlsFailure;
    if (error instanceof RouterUnreachableError) {
      if (this.session?.transportUp) {
        error.loginStalled = true;
        error.message = `${error.message} (connected, but the login got no answer)`;
      }
      return error;
    }
    if (this.loginTrap !== undefined || (error as { errno?: unknown } | undefined)?.errno === 'CANTLOGIN') {
      return new RouterAuthError(`login refused: ${this.loginTrap ?? describe(error)}`, host, { cause: error });
    }
    const cause = this.socketError ?? error;
    return new RouterUnreachableError(`cannot reach ${host}:${port}: ${describe(cause)}`, host, { cause });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}`.trim() : error.message || error.name;
  }
  return String(error);
}
