import type { MqttLink } from '../mqtt/connection.js';
import {
  CONTRACT_VERSION,
  DEFAULT_COMMAND_EXPIRY_SECONDS,
  PUBLISH_RULES,
  encodePayload,
  type AgentEvent,
  type AgentResponse,
  type AgentTopics,
  type ChallengeMessage,
  type OrderChallengeMessage,
  type CheckpointMessage,
  type ProgressData,
  type RouterStateMessage,
  type ScheduledMessage,
  type ErrorInfo,
} from '../mqtt/contract.js';
import type { Logger } from '../log/logger.js';

/**
 * Everything the agent tells the world goes through here, shaped by the contract.
 * Publishing never throws into an operation: a broker outage must not stop a pulse from
 * completing or a verification from being recorded (the audit log and journal are the
 * records; MQTT is the report, and QoS 1 with a persistent session catches up).
 */
/** Answers kept per inbound digest, so a redelivered order can be answered again. */
const REMEMBERED_ANSWERS = 256;

type SendOptions = { qos: 0 | 1; retain: boolean; expirySeconds?: number };

/** The latest retained message on one topic, kept to publish again after a (re)connect. */
interface Retained {
  payload: string;
  options: { qos: 0 | 1; retain: boolean };
  /** Monotonic ms when the broker should drop it (MQTT 5 expiry), if it has one. */
  expiresAt?: number;
}

export class Publisher {
  /** Every retained topic's latest payload: a broker restarted without persistence gets them all back. */
  readonly #retained = new Map<string, Retained>();
  readonly #answers = new Map<string, { requestId: string; data: ProgressData; error: ErrorInfo | undefined }>();

  constructor(
    private readonly link: Pick<MqttLink, 'publish' | 'connected'>,
    private readonly topics: AgentTopics,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One answer on progress/<requestId>; remembered by its inReplyTo unless it repeats one. */
  progress(
    requestId: string,
    data: ProgressData,
    error?: ErrorInfo,
    { repeat = false }: { repeat?: boolean } = {},
  ): void {
    const message: AgentResponse = {
      v: CONTRACT_VERSION,
      id: requestId,
      at: this.now().toISOString(),
      status: error ? 'error' : 'ok',
      data,
      ...(error ? { error } : {}),
    };
    this.send(this.topics.progress(requestId), message, {
      ...PUBLISH_RULES.progress,
      expirySeconds: DEFAULT_COMMAND_EXPIRY_SECONDS,
    });
    if (data.inReplyTo && !repeat) {
      this.#answers.delete(data.inReplyTo);
      this.#answers.set(data.inReplyTo, { requestId, data, error });
      if (this.#answers.size > REMEMBERED_ANSWERS) this.#answers.delete(this.#answers.keys().next().value as string);
    }
  }

  /** The latest answer to the order with this digest, if one was sent since start. */
  lastAnswer(digest: string): { requestId: string; data: ProgressData; error: ErrorInfo | undefined } | undefined {
    return this.#answers.get(digest);
  }

  event(event: Omit<AgentEvent, 'v' | 'at'>): void {
    this.send(
      this.topics.events,
      { v: CONTRACT_VERSION, at: this.now().toISOString(), ...event },
      PUBLISH_RULES.events,
    );
  }

  routerState(state: Omit<RouterStateMessage, 'v' | 'at'>): void {
    this.send(
      this.topics.routerState(state.router),
      { v: CONTRACT_VERSION, at: this.now().toISOString(), ...state },
      PUBLISH_RULES.routerState,
    );
  }

  scheduled(orders: ScheduledMessage['orders']): void {
    this.send(
      this.topics.scheduled,
      { v: CONTRACT_VERSION, at: this.now().toISOString(), orders },
      PUBLISH_RULES.scheduled,
    );
  }

  challenge(message: Omit<ChallengeMessage, 'v'>, expirySeconds: number): void {
    this.send(
      this.topics.challenge(message.router),
      { v: CONTRACT_VERSION, ...message },
      { ...PUBLISH_RULES.challenge, expirySeconds },
    );
  }

  orderChallenge(message: Omit<OrderChallengeMessage, 'v'>): void {
    this.send(this.topics.orderChallenge(message.router), { v: CONTRACT_VERSION, ...message }, PUBLISH_RULES.challenge);
  }

  /** An empty retained payload removes the retained challenge at the broker. */
  clearChallenge(router: string): void {
    this.sendRaw(this.topics.challenge(router), '', PUBLISH_RULES.challenge);
  }

  /**
   * Resolves once the broker has it, or at once while disconnected: the checkpoint is kept
   * and published again on the next connect (see republish), so nobody waits on a broker.
   */
  checkpoint(jws: string): Promise<void> {
    const message: CheckpointMessage = { v: CONTRACT_VERSION, jws };
    const payload = encodePayload(message);
    this.remember(this.topics.checkpoint, payload, PUBLISH_RULES.checkpoint);
    if (!this.link.connected) return Promise.resolve();
    return this.link.publish(this.topics.checkpoint, payload, PUBLISH_RULES.checkpoint);
  }

  /**
   * Publishes every retained topic's latest payload again (router states, challenges with
   * their remaining expiry, cleared challenges, the checkpoint). Called on every connect:
   * a broker that lost its retained store (restarted without persistence) gets it back.
   */
  republish(): void {
    const now = performance.now();
    for (const [topic, entry] of this.#retained) {
      const left = entry.expiresAt === undefined ? undefined : (entry.expiresAt - now) / 1000;
      if (left !== undefined && left <= 0) {
        this.#retained.delete(topic); // the broker has dropped it by now too
        continue;
      }
      const options = left === undefined ? entry.options : { ...entry.options, expirySeconds: left };
      this.sendRaw(topic, entry.payload, options, { remember: false });
    }
  }

  private send(topic: string, value: unknown, options: { qos: 0 | 1; retain: boolean; expirySeconds?: number }): void {
    this.sendRaw(topic, encodePayload(value), options);
  }

  private sendRaw(topic: string, payload: string, options: SendOptions, { remember = true } = {}): void {
    if (remember) this.remember(topic, payload, options);
    this.link.publish(topic, payload, options).catch((error: unknown) => {
      this.logger.warn({ err: error, topic }, 'publish failed; the audit log keeps the record');
    });
  }

  private remember(topic: string, payload: string, options: SendOptions): void {
    if (!options.retain) return;
    const { expirySeconds, ...rest } = options;
    const expiresAt = expirySeconds === undefined ? undefined : performance.now() + expirySeconds * 1000;
    this.#retained.set(topic, { payload, options: rest, ...(expiresAt === undefined ? {} : { expiresAt }) });
  }
}
