import type { Socket } from 'node:net';
import type { TlsOptions, TLSSocket } from 'node:tls';
import routeros from 'node-routeros';

/**
 * The one file that touches node-routeros (1.6.9, required by the design card). It gives
 * the session (connection.ts) a small surface: log in, feed whole reply sentences, run a
 * tagged command, and the socket. Its internals (the connector, the receiver's tag table,
 * Channel) are reached here and nowhere else, so a new version of the library is checked in
 * one place. Its defects are neutralised by connection.ts on top of this surface; the tests
 * in test/routeros/connection.test.ts name each one.
 */
const { RouterOSAPI, Channel } = routeros;

/** The parts of node-routeros 1.6.9 we reach into; they are private in its typings. */
interface ConnectorInternals {
  socket: Socket | TLSSocket;
  /** Set by node-routeros once TCP (and TLS) is up, before the login is sent. */
  connected: boolean;
  receiver: { processRawData(data: Buffer): void; tags: Map<string, unknown> };
}

export interface RosLoginOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  connectTimeoutMs: number;
  tls?: TlsOptions;
}

/** One command on the session: its tag, and the promise node-routeros settles at `!done` or `!trap`. */
export interface RosCommand {
  readonly tag: string;
  /** Resolves at `!done`, rejects at `!trap` (or when the channel is closed). */
  written: Promise<unknown>;
  close(): void;
}

/** A node-routeros session after connect() began: the socket exists, the login is under way. */
export interface RosSession {
  readonly socket: Socket | TLSSocket;
  /** Settles when the login is answered. */
  readonly login: Promise<unknown>;
  /** TCP (and TLS) is up: a login that got no answer, not a host that did not answer. */
  readonly transportUp: boolean;
  /** A reply for this tag would be routed (a command is waiting on it, or the login). */
  knowsTag(tag: string): boolean;
  /** Hands one whole reply sentence (its exact bytes) to node-routeros's parser. */
  feed(sentence: Buffer): void;
  /** Sends a tagged command. */
  run(words: readonly string[]): RosCommand;
}

/**
 * Starts a login. Keepalive is off (it writes `#` every timeout/2 while a command is in
 * flight), and the library's chunk-driven parser input is detached from the socket: the
 * caller frames the bytes (wire.ts) and feeds whole sentences. `onError` is always
 * attached: without it, an idle timeout or a reset after login throws from an emitter.
 */
export function startRosSession(options: RosLoginOptions, onError: (error: unknown) => void): RosSession {
  const api = new RouterOSAPI({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    timeout: options.connectTimeoutMs / 1000,
    keepalive: false,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  api.on('error', onError);
  const login = api.connect();
  login.catch(() => undefined);
  const connector = (api as unknown as { connector: ConnectorInternals }).connector;
  connector.socket.removeAllListeners('data');
  return {
    socket: connector.socket,
    login,
    get transportUp() {
      return connector.connected;
    },
    knowsTag: (tag) => connector.receiver.tags.has(tag),
    feed: (sentence) => connector.receiver.processRawData(sentence),
    run(words) {
      // A Channel of our own rather than api.write(), which arms the keepalive.
      const channel = new Channel(connector as never);
      return { tag: channel.Id, written: channel.write([...words]), close: () => channel.close(true) };
    },
  };
}
