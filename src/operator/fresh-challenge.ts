/**
 * Challenge on demand, the operator's side: when an agent's status says its clock is not
 * synchronized (a site power loss took the gateway and NTP with it), an order without a
 * challenge would be refused `clock-unsynced`. So ask the agent for a fresh order challenge
 * (unsigned, on its challenge-request topic) and bind the order to it.
 */
import type { MqttLinkSettings } from '../mqtt/connection.js';
import {
  CONTRACT_VERSION,
  agentTopics,
  encodePayload,
  orderChallengeMessageSchema,
  parsePayload,
  parseTopic,
  statusSchema,
  type AgentStatus,
  type OrderChallengeMessage,
} from '../mqtt/contract.js';
import type { RouterRef } from '../trust/messages.js';
import { connectOperator } from './broker.js';

export interface FreshChallengeOptions {
  base: string;
  site: string;
  agent: string;
  router: RouterRef;
  /** Ask even when the status says the clock is synchronized. */
  always?: boolean;
  timeoutMs: number;
}

/** How long to wait for the retained status after subscribing. */
const STATUS_WAIT_MS = 1500;

function sameRouter(a: RouterRef, b: RouterRef): boolean {
  return a.serial === b.serial && a.systemId === b.systemId;
}

/**
 * The order challenge to bind to, or undefined when the agent's clock is synchronized (and
 * `always` is not set). Throws when the agent does not answer in time.
 */
export async function freshOrderChallenge(
  settings: MqttLinkSettings,
  o: FreshChallengeOptions,
): Promise<OrderChallengeMessage | undefined> {
  const topics = agentTopics(o.base, o.site, o.agent);
  let status: AgentStatus | undefined;
  let asked = false;
  let answer: ((message: OrderChallengeMessage) => void) | undefined;
  const answered = new Promise<OrderChallengeMessage>((resolve) => (answer = resolve));
  const link = await connectOperator(settings, {
    subscriptions: [topics.status, `${topics.root}/routers/+/order-challenge`],
    timeoutMs: o.timeoutMs,
    onMessage: ({ topic, payload }) => {
      const parsed = parseTopic(o.base, topic);
      try {
        if (parsed?.kind === 'status') status = parsePayload(statusSchema, topic, payload);
        if (parsed?.kind === 'orderChallenge' && asked && payload.length > 0) {
          const message = parsePayload(orderChallengeMessageSchema, topic, payload);
          if (message.challenge.agent === o.agent && sameRouter(message.challenge.router, o.router)) answer?.(message);
        }
      } catch {
        // Not ours to judge: a malformed retained message is simply not an answer.
      }
    },
  });
  try {
    const waitedUntil = Date.now() + STATUS_WAIT_MS;
    while (!status && Date.now() < waitedUntil) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!o.always && status?.clockSynced !== false) return undefined;
    asked = true;
    await link.publish(topics.challengeRequest, encodePayload({ v: CONTRACT_VERSION, router: o.router }), {
      qos: 1,
      retain: false,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`agent ${o.agent} published no order challenge within ${Math.round(o.timeoutMs / 1000)} s`)),
        o.timeoutMs,
      );
    });
    try {
      return await Promise.race([answered, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
}

/** What approvers see before they sign: when the agent last read the router, and what. */
export function describeOrderChallenge(message: OrderChallengeMessage): string[] {
  const lines = [
    `bound to challenge ${message.challenge.challengeId} of agent ${message.challenge.agent} ` +
      `(its clock is ${message.clockSynced ? 'synchronized' : 'NOT synchronized'})`,
  ];
  const read = message.lastRead;
  if (!read) lines.push(`router ${message.router}: never read by the agent since it started`);
  else {
    const features = Object.entries(read.features)
      .filter(([, on]) => on)
      .map(([name]) => name);
    lines.push(
      `router ${message.router} ${message.reachable ? 'answers' : 'does NOT answer'}; ` +
        `last read ${read.secondsAgo} s ago (${read.at}): ` +
        `mode ${read.mode}, features ${features.join(',') || 'none'}, ` +
        `attempt-count ${read.attemptCount}${read.flagged ? ', FLAGGED' : ''}`,
    );
  }
  return lines;
}
