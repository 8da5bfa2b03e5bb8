/**
 * The operator's side of the contract, for `dmconfirm request|approve --wait` and
 * `dmconfirm status`: send a signed order and follow its answers, or watch the fleet.
 * A clean session (operator tools come and go) on its own MqttLink.
 */
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import {
  agentTopics, fleetSubscriptions, inboundCorrelation, parsePayload, parseTopic, responseSchema, DEFAULT_COMMAND_EXPIRY_SECONDS,
  type AgentResponse, type InboundCorrelation, type InboundKind,
} from './contract.js';
import { MqttLink, type MqttLinkSettings } from './connection.js';
import { applyFleetMessage, emptyFleet, type FleetView } from './fleet-view.js';

export interface AgentRef {
  site: string;
  agent: string;
}

export interface SendOptions {
  /** Wait for the final answer (default true). */
  follow?: boolean;
  /** Called for each answer to this very order, in order. */
  onAnswer?: (answer: AgentResponse) => void;
  /** Called for answers on the same request id that answer other bytes (a forgery reusing the id, a resend). */
  onForeign?: (answer: AgentResponse) => void;
  /** Give up following after this long (the order stays sent). */
  timeoutMs?: number;
  expirySeconds?: number;
}

export interface SendResult {
  correlation: InboundCorrelation & { requestId: string };
  /** The final answer, when followed to the end. */
  final?: AgentResponse;
}

export class OperatorClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorClientError';
  }
}

export class OperatorClient {
  readonly link: MqttLink;
  readonly #followers = new Map<string, (answer: AgentResponse) => void>();
  #fleet: { view: FleetView; onChange: (view: FleetView) => void } | undefined;

  constructor(
    settings: MqttLinkSettings,
    private readonly baseTopic: string,
    private readonly logger: Logger = silentLogger(),
  ) {
    this.link = new MqttLink({ ...settings, persistent: false }, { logger });
    this.link.onMessage((m) => this.route(m.topic, m.payload));
  }

  start(timeoutMs = 10_000): Promise<void> {
    return this.link.start({ timeoutMs });
  }

  stop(): Promise<void> {
    return this.link.stop();
  }

  /**
   * Subscribes to the order's progress topic first (so no answer is missed), publishes
   * the signed bytes unretained with a message expiry, then follows the answers that
   * quote exactly these bytes until one is final.
   */
  async send(target: AgentRef, kind: InboundKind, payload: Buffer | string, options: SendOptions = {}): Promise<SendResult> {
    const correlation = inboundCorrelation(payload);
    const requestId = correlation.requestId;
    if (!requestId) throw new OperatorClientError('the order carries no usable requestId; it cannot be followed or answered');
    const topics = agentTopics(this.baseTopic, target.site, target.agent);
    const result: SendResult = { correlation: { ...correlation, requestId } };
    let resolveFinal: ((answer: AgentResponse) => void) | undefined;
    const final = new Promise<AgentResponse>((resolve) => (resolveFinal = resolve));
    this.#followers.set(requestId, (answer) => {
      // An answer without inReplyTo cannot be told apart; one quoting other bytes is not ours.
      if (answer.data.inReplyTo !== undefined && answer.data.inReplyTo !== correlation.digest) {
        options.onForeign?.(answer);
        return;
      }
      options.onAnswer?.(answer);
      if (answer.data.final) resolveFinal?.(answer);
    });
    try {
      await this.link.subscribe([topics.progress(requestId)]);
      await this.link.publish(topics[kind], payload, { retain: false, expirySeconds: options.expirySeconds ?? DEFAULT_COMMAND_EXPIRY_SECONDS });
      if (options.follow === false) return result;
      result.final = await withTimeout(final, options.timeoutMs);
      return result;
    } finally {
      this.#followers.delete(requestId);
    }
  }

  /** Subscribes to every agent's status, router state and challenges; onChange after each message. */
  async watchFleet(onChange: (view: FleetView) => void = () => undefined): Promise<FleetView> {
    const view = emptyFleet();
    this.#fleet = { view, onChange };
    await this.link.subscribe(fleetSubscriptions(this.baseTopic));
    return view;
  }

  private route(topic: string, payload: Buffer): void {
    const parsed = parseTopic(this.baseTopic, topic);
    if (parsed?.kind === 'progress') {
      const follower = this.#followers.get(parsed.requestId);
      if (!follower) return;
      try {
        follower(parsePayload(responseSchema, topic, payload));
      } catch (error) {
        this.logger.warn({ err: error, topic }, 'unreadable answer ignored');
      }
      return;
    }
    if (this.#fleet && applyFleetMessage(this.#fleet.view, this.baseTopic, topic, payload)) this.#fleet.onChange(this.#fleet.view);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperatorClientError(`no final answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
