// A stand-in for the agent's MQTT side: takes inbound orders and answers on progress/<id>
// with contract-conformant messages (parsed with the contract's schema before sending),
// following whatever script the test sets.
import mqtt, { type MqttClient } from 'mqtt';
import {
  agentTopics,
  encodePayload,
  inboundCorrelation,
  PUBLISH_RULES,
  responseSchema,
  statusSchema,
} from '../../src/mqtt/contract.js';
import type { AgentResponse, OperationState } from '../../src/mqtt/contract.js';
import { sleep } from '../helpers/mosquitto.js';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  expiry: number | undefined;
  requestId: string | undefined;
  digest: string;
}

export interface Step {
  state: OperationState;
  status?: 'ok' | 'error';
  final?: boolean;
  detail?: string;
  error?: { code: string; message: string };
  /** Answer as if to other bytes (a forgery that reused the request id). */
  inReplyTo?: string;
  /** Publish the same bytes twice, as a QoS 1 redelivery would. */
  twice?: boolean;
  /** Wait this long before answering (default 30 ms). */
  delayMs?: number;
  /** And until this settles (the test lets the agent go on). */
  after?: Promise<unknown>;
}

export type Script = (received: Received) => Step[];

export class Responder {
  readonly received: Received[] = [];
  script: Script = () => [];
  private constructor(
    private readonly client: MqttClient,
    private readonly topics: ReturnType<typeof agentTopics>,
  ) {}

  static async start(url: string, base: string, site: string, agent: string): Promise<Responder> {
    const topics = agentTopics(base, site, agent);
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `responder-${agent}`,
      reconnectPeriod: 200,
    });
    const responder = new Responder(client, topics);
    client.on('message', (topic, payload, packet) => {
      const { requestId, digest } = inboundCorrelation(payload);
      const received = {
        topic,
        payload,
        retain: packet.retain,
        expiry: packet.properties?.messageExpiryInterval,
        requestId,
        digest,
      };
      responder.received.push(received);
      void responder.answer(received);
    });
    await client.subscribeAsync([...topics.inbound], { qos: 1 });
    // Like the agent: a retained online status, so operators know someone is there.
    const status = statusSchema.parse({
      v: 1,
      state: 'online',
      agent,
      site,
      version: '0.0.0',
      at: new Date().toISOString(),
      reason: 'started',
    });
    await client.publishAsync(topics.status, encodePayload(status), { qos: 1, retain: true });
    return responder;
  }

  private async answer(received: Received): Promise<void> {
    if (!received.requestId) return;
    for (const step of this.script(received)) {
      await sleep(step.delayMs ?? 30);
      await step.after;
      const status = step.status ?? 'ok';
      const message: AgentResponse = responseSchema.parse({
        v: 1,
        id: received.requestId,
        at: new Date().toISOString(),
        status,
        data: {
          state: step.state,
          router: 'main',
          operationId: 'op-1',
          final: step.final ?? false,
          inReplyTo: step.inReplyTo ?? received.digest,
          ...(step.detail ? { detail: step.detail } : {}),
        },
        ...(step.error ? { error: step.error } : {}),
      });
      for (let i = 0; i < (step.twice ? 2 : 1); i++) {
        await this.client.publishAsync(this.topics.progress(received.requestId), encodePayload(message), {
          qos: PUBLISH_RULES.progress.qos,
          retain: false,
        });
      }
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
