import { EventEmitter } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { backoffDelay, type BackoffOptions } from '../time/backoff.js';
import type { DeviceModeState } from './device-mode.js';
import {
  RouterAuthError,
  RouterClosedError,
  RouterTlsError,
  RouterTrapError,
  RouterUnreachableError,
  type RouterError,
} from './errors.js';
import { RouterConnection, type CommandOptions, type Row } from './connection.js';
import { endpointPort, type RouterEndpoint } from './endpoint.js';
import {
  parseDeviceMode,
  parseIdentity,
  parseResource,
  RouterReplyError,
  type RouterIdentity,
  type RouterResource,
} from './parse.js';

export interface RouterClientOptions {
  logger?: Logger;
  backoff?: Partial<BackoffOptions>;
  /** Jitter source in [0, 1); tests pass a constant. */
  random?: () => number;
}

export interface RouterClientEvents {
  connected: [];
  disconnected: [RouterError];
  'connect-failed': [RouterError, { attempt: number; retryInMs: number }];
}

/**
 * A long-lived, self-healing session with one router for reads. After start() it keeps a
 * connection: when it drops it reconnects at once, then with exponential backoff and
 * jitter while the router stays away. Calls never wait out a backoff: while the router is
 * away they fail at once with RouterUnreachableError (carrying retryInMs), and a call made
 * during a connect attempt waits for that attempt. Device-mode updates never go through
 * this client: see requestUpdate, which uses a dedicated connection.
 */
export class RouterClient extends EventEmitter<RouterClientEvents> {
  private readonly log: Logger;
  private readonly backoff: Required<BackoffOptions>;
  private readonly random: () => number;
  private connection: RouterConnection | undefined;
  private attempt: Promise<RouterConnection> | undefined;
  private lastError: RouterError | undefined;
  private retryAt = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly endpoint: RouterEndpoint,
    options: RouterClientOptions = {},
  ) {
    super();
    this.log = (options.logger ?? silentLogger()).child({ component: 'router-client', host: endpoint.host });
    this.backoff = { initialMs: 500, maxMs: 30_000, factor: 2, ...options.backoff };
    this.random = options.random ?? Math.random;
  }

  /** Between start() and stop(). */
  get isStarted(): boolean {
    return this.running;
  }

  get isConnected(): boolean {
    return this.connection?.isOpen ?? false;
  }

  /** Starts keeping a connection; resolves after the first attempt, whatever its result. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const first = new Promise<void>((resolve) =>
      this.once('connected', resolve).once('connect-failed', () => resolve()),
    );
    this.loop = this.keepConnected();
    // The loop ends without either event when stop() comes first.
    await Promise.race([first, this.loop]);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.connection?.close();
    await this.attempt?.catch(() => undefined);
    await this.loop;
  }

  /**
   * Whether the API port accepts a TCP connection right now. No login and no command is
   * sent: it tells a router that stalls its sessions from one that vanished (a power cut
   * leaves our session half-open and silent, with no FIN to tell us).
   */
  portAnswers(timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = tcpConnect({ host: this.endpoint.host, port: endpointPort(this.endpoint) });
      const done = (answered: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answered);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  }

  /**
   * Ends a backoff wait now: the next connect attempt starts at once. For a caller that
   * expects the router back shortly (after a reboot it caused), so the router is not found
   * seconds late because the backoff grew while it was away.
   */
  retryNow(): void {
    if (this.running && !this.connection?.isOpen && !this.attempt) this.wake?.();
  }

  /**
   * For an order that needs the router now: ends any backoff wait and waits for that one
   * connect attempt (at most `timeoutMs`), so the order is not refused `router-unreachable`
   * only because the read session was still waiting to retry after an outage.
   */
  async connectNow(timeoutMs = this.endpoint.timeoutMs ?? 5000): Promise<void> {
    if (!this.running || this.connection?.isOpen) return;
    if (!this.attempt) {
      this.wake?.();
      await new Promise((resolve) => setImmediate(resolve)); // the loop starts its attempt
    }
    const attempt = this.attempt;
    if (!attempt) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([
      attempt.then(
        () => undefined,
        () => undefined,
      ),
      late,
    ]).finally(() => clearTimeout(timer));
  }

  /** Drops the current session (e.g. a half-open one); the client reconnects as usual. */
  async recycle(): Promise<void> {
    await this.connection?.close();
  }

  /** Runs a command on the shared connection (typed errors; see RouterConnection.command). */
  async command(words: readonly string[], options?: CommandOptions): Promise<Row[]> {
    const connection = await this.session();
    return connection.command(words, options);
  }

  async readDeviceMode(options?: CommandOptions): Promise<DeviceModeState> {
    return parseDeviceMode(single(await this.command(['/system/device-mode/print'], options), 'device-mode'));
  }

  async readResource(options?: CommandOptions): Promise<RouterResource> {
    return parseResource(single(await this.command(['/system/resource/print'], options), 'resource'));
  }

  async readIdentity(options?: CommandOptions): Promise<RouterIdentity> {
    const identity = single(await this.command(['/system/identity/print'], options), 'identity');
    const resource = single(await this.command(['/system/resource/print'], options), 'resource');
    const routerboard = await this.optionalRow(['/system/routerboard/print'], options);
    // CHR has no routerboard; its license system-id identifies the unit instead.
    const license = routerboard?.model ? undefined : await this.optionalRow(['/system/license/print'], options);
    return parseIdentity(identity, resource, routerboard, license);
  }

  /** A menu that some models lack ("no such command") reads as undefined. */
  private async optionalRow(words: string[], options?: CommandOptions): Promise<Row | undefined> {
    try {
      return (await this.command(words, options))[0];
    } catch (error) {
      if (error instanceof RouterTrapError && /no such command/.test(error.routerMessage)) return undefined;
      throw error;
    }
  }

  private async session(): Promise<RouterConnection> {
    if (!this.running) throw new RouterClosedError('router client is not started', this.endpoint.host);
    if (this.connection?.isOpen) return this.connection;
    if (this.attempt) return this.attempt;
    // Configuration problems keep their own type: retrying will not fix them.
    if (this.lastError instanceof RouterAuthError || this.lastError instanceof RouterTlsError) throw this.lastError;
    const error = new RouterUnreachableError(this.lastError?.message ?? 'not connected', this.endpoint.host, {
      cause: this.lastError,
    });
    error.retryInMs = Math.max(0, this.retryAt - Date.now());
    if (this.lastError instanceof RouterUnreachableError && this.lastError.loginStalled) error.loginStalled = true;
    throw error;
  }

  private async keepConnected(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const connection = new RouterConnection(this.endpoint, this.log);
      this.attempt = connection.open().then(() => connection);
      try {
        await this.attempt;
      } catch (error) {
        this.attempt = undefined;
        if (!this.running) return;
        failures += 1;
        const retryInMs = backoffDelay(failures - 1, this.backoff, this.random);
        this.lastError = error as RouterError;
        this.retryAt = Date.now() + retryInMs;
        this.log.warn({ err: describeError(error), attempt: failures, retryInMs }, 'cannot connect to router');
        this.emit('connect-failed', error as RouterError, { attempt: failures, retryInMs });
        await this.sleep(retryInMs);
        continue;
      }
      this.attempt = undefined;
      failures = 0;
      this.connection = connection;
      if (!this.running) {
        await connection.close();
        return;
      }
      this.log.info('connected to router');
      this.emit('connected');
      const reason = await new Promise<RouterError>((resolve) => connection.once('close', resolve));
      this.connection = undefined;
      if (!this.running) return;
      this.lastError = reason;
      this.log.warn({ reason: reason.message }, 'router connection lost; reconnecting');
      this.emit('disconnected', reason);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function single(rows: Row[], what: string): Row {
  const row = rows[0];
  if (!row) throw new RouterReplyError(`${what}: empty reply`);
  return row;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
