/**
 * The agent's side of the MQTT contract on top of one MqttLink: typed publishers for
 * each outbound topic, and inbound orders (request, approval, powercycle) dispatched
 * with their correlation. It knows topics and payload shapes, nothing about signatures
 * or operations; the agent core decides what to do with each order.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import {
  agentTopics, encodePayload, inboundCorrelation, parseTopic, CONTRACT_VERSION, PROGRESS_EXPIRY_SECONDS,
  type AgentEvent, type AgentResponse, type AgentStatus, type AgentTopics, type ChallengeMessage, type CheckpointMessage,
  type InboundCorrelation, type InboundKind, type ProgressData, type RouterStateMessage, type ErrorInfo,
} from './contract.js';
import { MqttLink, type MqttLinkSettings } from './connection.js';

export interface InboundOrder {
  kind: InboundKind;
  topic: string;
  /** The exact bytes received: hand these to the trust verifier. */
  payload: Buffer;
  correlation: InboundCorrelation;
  /** A QoS 1 redelivery; the order may have been seen before (idempotency is the agent's job). */
  duplicate: boolean;
}

/** Must record the order durably (audit, journal) before resolving: the broker is acked after. */
export type OrderHandler = (order: InboundOrder) => Promise<void> | void;

export interface AgentChannelOptions {
  baseTopic: string;
  site: string;
  agent: string;
  version: string;
  logger?: Logger;
  now?: () => Date;
}

interface ChannelEvents {
  connected: [sessionPresent: boolean];
  disconnected: [];
}

export class AgentChannel extends EventEmitter<ChannelEvents> {
  readonly topics: AgentTopics;
  readonly link: MqttLink;
  #handler: OrderHandler | undefined;

  constructor(
    settings: MqttLinkSettings,
    private readonly options: AgentChannelOptions,
  ) {
    super();
    this.topics = agentTopics(options.baseTopic, options.site, options.agent);
    this.link = new MqttLink(settings, {
      subscriptions: [...this.topics.inbound],
      presence: {
        topic: this.topics.status,
        online: () => encodePayload(this.status('online', 'started')),
        offline: (reason) => encodePayload(this.status('offline', reason)),
      },
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.link.on('connected', (present) => this.emit('connected', present));
    this.link.on('disconnected', () => this.emit('disconnected'));
    this.link.onMessage((message) => this.dispatch(message.topic, message.payload, message.retain, message.duplicate));
  }

  private get log(): Logger {
    return this.options.logger ?? silentLogger();
  }

  private now(): string {
    return (this.options.now ?? (() => new Date()))().toISOString();
  }

  private status(state: AgentStatus['state'], reason: AgentStatus['reason']): AgentStatus {
    return { v: CONTRACT_VERSION, state, agent: this.options.agent, site: this.options.site, version: this.options.version, at: this.now(), reason };
  }

  onOrder(handler: OrderHandler): void {
    this.#handler = handler;
  }

  start(options?: { wait?: boolean }): Promise<void> {
    return this.link.start(options);
  }

  /** Publishes retained offline, then disconnects. */
  stop(): Promise<void> {
    return this.link.stop();
  }

  publishRouterState(state: Omit<RouterStateMessage, 'v' | 'at'>): Promise<void> {
    const message: RouterStateMessage = { v: CONTRACT_VERSION, at: this.now(), ...state };
    return this.link.publish(this.topics.routerState(state.router), encodePayload(message), { retain: true });
  }

  publishEvent(event: Omit<AgentEvent, 'v' | 'at'>): Promise<void> {
    const message: AgentEvent = { v: CONTRACT_VERSION, at: this.now(), ...event };
    return this.link.publish(this.topics.events, encodePayload(message));
  }

  /** One answer on progress/<requestId>; `inReplyTo` is the digest of the order answered. */
  answer(requestId: string, data: ProgressData, error?: ErrorInfo): Promise<void> {
    const message: AgentResponse = {
      v: CONTRACT_VERSION, id: requestId, at: this.now(), status: error ? 'error' : 'ok', data, ...(error ? { error } : {}),
    };
    return this.link.publish(this.topics.progress(requestId), encodePayload(message), { expirySeconds: PROGRESS_EXPIRY_SECONDS });
  }

  /** Retained while open, expiring with the activation window. */
  publishChallenge(message: Omit<ChallengeMessage, 'v'>, expirySeconds: number): Promise<void> {
    const full: ChallengeMessage = { v: CONTRACT_VERSION, ...message };
    return this.link.publish(this.topics.challenge(message.router), encodePayload(full), { retain: true, expirySeconds });
  }

  /** An empty retained payload deletes the retained challenge at the broker. */
  clearChallenge(router: string): Promise<void> {
    return this.link.publish(this.topics.challenge(router), '', { retain: true });
  }

  publishCheckpoint(jws: string): Promise<void> {
    const message: CheckpointMessage = { v: CONTRACT_VERSION, jws };
    return this.link.publish(this.topics.checkpoint, encodePayload(message), { retain: true });
  }

  private async dispatch(topic: string, payload: Buffer, retain: boolean, duplicate: boolean): Promise<void> {
    const parsed = parseTopic(this.options.baseTopic, topic);
    if (!parsed || (parsed.kind !== 'request' && parsed.kind !== 'approval' && parsed.kind !== 'powercycle')) {
      this.log.warn({ topic }, 'message on a topic we do not handle; ignored');
      return;
    }
    if (parsed.site !== this.options.site || parsed.agent !== this.options.agent) return;
    // Orders are never retained: a retained one would replay to every future session.
    if (retain) {
      this.log.warn({ topic }, 'retained order ignored; orders must be published without retain');
      return;
    }
    if (!this.#handler) {
      this.log.error({ topic }, 'order arrived before a handler was set; ignored');
      return;
    }
    await this.#handler({ kind: parsed.kind, topic, payload, correlation: inboundCorrelation(payload), duplicate });
  }
}
