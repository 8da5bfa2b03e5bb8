import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Secret } from '../config/secret.js';
import { backoffDelay } from '../time/backoff.js';

/** What the link needs from the `mqtt` config block (a parsed MqttConfig fits). */
export interface MqttLinkSettings {
  url: string;
  protocolVersion: 4 | 5;
  clientId: string;
  username?: string | undefined;
  password?: Secret | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  clientKey?: Secret | undefined;
  /** Broker keeps our subscriptions and queued QoS 1 messages this long while we are away. */
  sessionExpirySeconds: number;
  keepaliveSeconds: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** false for short-lived operator tools: a clean session that the broker forgets. */
  persistent?: boolean;
}

/** Retained online/offline status: birth on every connect, last will, offline on stop. */
export interface Presence {
  topic: string;
  online: () => string;
  offline: (reason: 'stopped' | 'connection-lost' | 'start-failed') => string;
}

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** Set when the broker redelivers a QoS 1 message it is not sure we received. */
  duplicate: boolean;
}

/**
 * Called for each message; the broker gets our PUBACK only after it settles, so a
 * handler that records the message before returning gets at-least-once delivery across
 * crashes. Keep it short (record and queue): packets behind it wait, pings included.
 */
export type MessageHandler = (message: InboundMessage) => Promise<void> | void;

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
  /** MQTT 5 message expiry: brokers drop the message when it is older (ignored on 3.1.1). */
  expirySeconds?: number;
}

export class MqttLinkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MqttLinkError';
  }
}

interface LinkEvents {
  connected: [sessionPresent: boolean];
  disconnected: [];
  error: [error: Error];
  /** The message handler threw (a bug): the message was not acknowledged; the owner should restart. */
  'handler-failed': [error: Error, topic: string];
}

/**
 * One broker connection: persistent session, QoS 1, retained presence with a last will,
 * TLS from files, jittered reconnect backoff. Constructing it does nothing; start()
 * connects, stop() publishes offline and disconnects cleanly.
 */
export class MqttLink extends EventEmitter<LinkEvents> {
  #client: MqttClient | undefined;
  #handler: MessageHandler | undefined;
  #attempt = 0;
  readonly #subscriptions: string[];
  /** false for a link started only to say why the agent could not start. */
  #announce = true;

  constructor(
    private readonly settings: MqttLinkSettings,
    private readonly options: {
      presence?: Presence;
      subscriptions?: string[];
      logger?: Logger;
      handlerTimeoutMs?: number;
    } = {},
  ) {
    super();
    this.#subscriptions = [...(options.subscriptions ?? [])];
  }

  private get log(): Logger {
    return this.options.logger ?? silentLogger();
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Set before start() so messages queued in our session are not missed. */
  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  /**
   * Connects; with `wait` (default) resolves once connected and subscribed. With
   * `timeoutMs` (operator tools) it gives up after that long, stops, and rejects with the
   * last connection error; without it (the agent) it keeps trying until stop().
   */
  async start({
    wait = true,
    timeoutMs,
    online = true,
  }: { wait?: boolean; timeoutMs?: number; online?: boolean } = {}): Promise<void> {
    if (this.#client) throw new MqttLinkError('already started');
    const client = mqtt.connect(this.settings.url, this.clientOptions());
    this.#client = client;
    client.handleMessage = (packet: IPublishPacket, done: (error?: Error) => void) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(error);
      };
      // A handler that never settles would hold every later packet (pings too) and turn
      // into a reconnect loop redelivering the same message: ack it late, loudly, instead.
      const limit = this.options.handlerTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.log.error(
          { topic: packet.topic, limitMs: limit },
          'message handler did not finish in time; acknowledging anyway',
        );
        settle();
      }, limit);
      // Crash-only: a handler that throws has a bug. The message is not acknowledged (mqtt.js
      // sends no PUBACK when done gets an error), so the broker keeps it in our persistent
      // session and delivers it again after the restart that `handler-failed` asks for.
      this.deliver(packet).then(
        () => settle(),
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          if (settled) {
            this.log.error({ err: failure, topic: packet.topic }, 'message handler failed after it was acknowledged');
          } else {
            this.log.error({ err: failure, topic: packet.topic }, 'message handler failed; not acknowledged');
            settle(failure);
          }
          this.emit('handler-failed', failure, packet.topic);
        },
      );
    };
    // The first packet we ever send: orders queued for us while we were down are answered
    // after it (mqtt.js sends what was queued before the first connect in order, and holds
    // back what is published while it does), so nobody sees an answer under an offline status.
    const presence = online ? this.options.presence : undefined;
    if (presence) {
      const failed = (error: unknown) => this.log.warn({ err: error }, 'could not publish online status');
      this.publish(presence.topic, presence.online(), { retain: true }).catch(failed);
    }
    this.#announce = online;
    client.on('connect', (connack) => {
      this.#attempt = 0;
      // An order or an answer is one small packet: Nagle would hold it ~40 ms behind an unacknowledged one.
      setNoDelay(client.stream);
      client.options.reconnectPeriod = reconnectDelay(this.settings, 0);
      this.log.info({ sessionPresent: connack.sessionPresent }, 'mqtt connected');
      if (this.#announce) void this.publishPresence('online');
      this.emit('connected', connack.sessionPresent);
    });
    // Each attempt lengthens the wait before the next one, with jitter, up to the maximum.
    client.on('reconnect', () => {
      this.#attempt += 1;
      client.options.reconnectPeriod = reconnectDelay(this.settings, this.#attempt);
    });
    client.on('offline', () => {
      this.log.warn('mqtt offline; reconnecting');
      this.emit('disconnected');
    });
    let lastError: Error | undefined;
    client.on('error', (error) => {
      lastError = error;
      this.log.warn({ err: error }, 'mqtt error');
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    if (!wait) {
      client.once(
        'connect',
        () => void this.subscribeAll().catch((error: unknown) => this.log.error({ err: error }, 'subscribe failed')),
      );
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const onClose = () => {
          if (client.disconnecting) reject(new MqttLinkError('stopped before connecting'));
        };
        client.once('connect', () => {
          client.off('end', onClose);
          resolve();
        });
        client.once('end', onClose);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            const why = lastError ? `: ${lastError.message}` : '';
            reject(
              new MqttLinkError(`no connection to ${this.settings.url} within ${timeoutMs} ms${why}`, {
                cause: lastError,
              }),
            );
          }, timeoutMs);
        }
      });
      await this.subscribeAll();
    } catch (error) {
      if (timeoutMs !== undefined) await this.stop({ timeoutMs: 1000 });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Adds subscriptions now and after any reconnect that lost the session. */
  async subscribe(topics: string[]): Promise<void> {
    this.#subscriptions.push(...topics.filter((t) => !this.#subscriptions.includes(t)));
    if (this.#client?.connected) await this.subscribeTopics(topics);
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const client = this.#client;
    if (!client) throw new MqttLinkError('not started');
    const properties =
      this.settings.protocolVersion === 5 && options.expirySeconds !== undefined
        ? { messageExpiryInterval: Math.max(1, Math.ceil(options.expirySeconds)) }
        : undefined;
    await client.publishAsync(topic, payload, {
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
      ...(properties ? { properties } : {}),
    });
  }

  /** Publishes offline (retained) while still connected, then disconnects; never throws. */
  async stop({
    timeoutMs = 5000,
    reason = 'stopped',
  }: { timeoutMs?: number; reason?: 'stopped' | 'start-failed' } = {}): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const presence = this.options.presence;
    if (presence && client.connected) {
      await withTimeout(this.publish(presence.topic, presence.offline(reason), { retain: true }), timeoutMs).catch(
        (error: unknown) => this.log.warn({ err: error }, 'could not publish offline status'),
      );
    }
    if (client.connected) {
      // A normal DISCONNECT: the broker discards the last will and keeps our session.
      await withTimeout(client.endAsync(false), timeoutMs).catch(async () => {
        await client.endAsync(true);
      });
    } else {
      // Nobody to say goodbye to; waiting for in-flight messages would wait for a broker.
      await client.endAsync(true);
    }
    this.#client = undefined;
  }

  private clientOptions(): IClientOptions {
    const s = this.settings;
    const persistent = s.persistent ?? true;
    const presence = this.options.presence;
    const options: IClientOptions = {
      protocolVersion: s.protocolVersion,
      clientId: s.clientId,
      clean: !persistent,
      keepalive: s.keepaliveSeconds,
      reconnectPeriod: reconnectDelay(s, 0),
      connectTimeout: 30_000,
      resubscribe: true,
      rejectUnauthorized: true,
      // mqtt-packet's number cache is 65,536 small Buffers (~7 MB of heap) to save an
      // allocation per packet: the wrong trade for a daemon that sends a few packets a minute.
      writeCache: false,
    };
    // MQTT 5 ends a session at disconnect unless the expiry is above zero, clean:false or not.
    if (s.protocolVersion === 5)
      options.properties = { sessionExpiryInterval: persistent ? s.sessionExpirySeconds : 0 };
    if (s.username !== undefined) options.username = s.username;
    if (s.password) options.password = s.password.reveal();
    if (s.ca) options.ca = readFileSync(s.ca);
    if (s.cert) options.cert = readFileSync(s.cert);
    if (s.clientKey) options.key = s.clientKey.reveal();
    if (presence)
      options.will = {
        topic: presence.topic,
        payload: Buffer.from(presence.offline('connection-lost')),
        qos: 1,
        retain: true,
      };
    return options;
  }

  /** Publishes the online status now (also a heartbeat); resolves when the broker has it or it failed. */
  async publishPresence(state: 'online'): Promise<void> {
    const presence = this.options.presence;
    if (!presence || !this.#client?.connected) return;
    await this.publish(presence.topic, presence[state](), { retain: true }).catch((error: unknown) =>
      this.log.warn({ err: error }, 'could not publish online status'),
    );
  }

  private async subscribeAll(): Promise<void> {
    if (this.#subscriptions.length > 0) await this.subscribeTopics(this.#subscriptions);
  }

  private async subscribeTopics(topics: string[]): Promise<void> {
    const client = this.#client;
    if (!client) throw new MqttLinkError('not started');
    // MQTT 5 Retain As Published: a live retained publish keeps its retain flag, so the agent
    // can refuse retained orders whenever they arrive (MQTT 3.1.1 has no such option).
    const rap = this.settings.protocolVersion === 5;
    const granted = await client.subscribeAsync(topics, { qos: 1, ...(rap ? { rap: true } : {}) });
    const refused = granted.filter((g) => g.qos !== 0 && g.qos !== 1 && g.qos !== 2);
    if (refused.length > 0)
      throw new MqttLinkError(`broker refused subscription to ${refused.map((g) => g.topic).join(', ')}`);
  }

  private async deliver(packet: IPublishPacket): Promise<void> {
    const handler = this.#handler;
    if (!handler) {
      this.log.warn({ topic: packet.topic }, 'message without a handler dropped');
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
    await handler({ topic: packet.topic, payload, retain: packet.retain, duplicate: packet.dup });
  }
}

/** Reconnect delay before attempt `attempt` (0 = first), from the configured bounds. */
function reconnectDelay(s: MqttLinkSettings, attempt: number): number {
  return backoffDelay(attempt, { initialMs: s.reconnectMinMs, maxMs: s.reconnectMaxMs });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MqttLinkError(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** TCP_NODELAY on the transport when it is a TCP or TLS socket (not a WebSocket). */
export function setNoDelay(stream: unknown): void {
  if (stream && typeof (stream as { setNoDelay?: unknown }).setNoDelay === 'function')
    (stream as { setNoDelay(on: boolean): void }).setNoDelay(true);
}
