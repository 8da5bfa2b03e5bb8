/**
 * The one place where publishing a signed order and following its answers touches the
 * world: broker connection, clock, terminal. Decisions live in send-plan.ts and progress.ts.
 */
import type { MqttLinkSettings } from '../mqtt/connection.js';
import { BrokerUnreachableError, connectOperator } from './broker.js';
import { EXIT } from './progress.js';
import type { ExitCode, Following } from './progress.js';
import { ProgressReader } from './progress-reader.js';
import { waitForEnd } from './wait.js';
import type { SendPlan } from './send-plan.js';
import { AgentPresence } from './presence.js';
import { Terminal } from './terminal.js';
import type { Output } from './terminal.js';

export interface SendResult {
  code: ExitCode;
  summary: string;
  following?: Following;
}

export interface SendOptions {
  connectTimeoutMs: number;
  out: Output;
  /** Notes on ignored answers and connection trouble. */
  err: Output;
  /** Resolves on Ctrl-C: we stop following; the operation goes on at the agent. */
  until?: Promise<unknown> | undefined;
  /** The command that follows this operation again, said when we stop early. */
  followHint?: string | undefined;
}

export async function sendAndFollow(
  plan: SendPlan,
  settings: MqttLinkSettings,
  options: SendOptions,
): Promise<SendResult> {
  const term = new Terminal(options.out);
  const note = (text: string) => {
    if (term.interactive) term.line(text);
    else options.err.write(`${text}\n`);
  };
  const reader = new ProgressReader(plan.requestId, plan.digest, term, note);
  const presence = new AgentPresence(plan.base, plan.site, plan.agent);
  const onMessage = ({ topic, payload }: { topic: string; payload: Buffer }) => {
    if (presence.observe(topic, payload)) return;
    if (topic === plan.progressTopic) reader.read(topic, payload);
  };

  let link;
  try {
    link = await connectOperator(settings, {
      subscriptions: [...(plan.wait ? [plan.progressTopic] : []), ...presence.subscriptions],
      onMessage,
      timeoutMs: options.connectTimeoutMs,
    });
  } catch (error) {
    return { code: EXIT.unreachable, summary: error instanceof Error ? error.message : String(error) };
  }
  link.on('disconnected', () => note('connection to the broker lost; reconnecting (answers sent meanwhile are lost)'));

  try {
    const there = await presence.settle();
    if (!there.known) return { code: EXIT.refused, summary: there.message };
    if (there.status.state === 'offline')
      note(
        `agent ${plan.agent} is offline (${there.status.reason}, ` +
          `${there.status.at}); the broker keeps the order until it expires`,
      );
    // Subscribed before publishing (connectOperator waits for the SUBACK): no answer can slip past.
    reader.start();
    try {
      await link.publish(plan.topic, plan.bytes, {
        qos: plan.qos,
        retain: plan.retain,
        expirySeconds: plan.expirySeconds,
      });
    } catch (error) {
      throw new BrokerUnreachableError(
        `the broker did not take the message: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    term.line(`sent ${plan.kind} ${plan.requestId} to ${plan.topic}`);
    if (!plan.wait) return { code: EXIT.done, summary: `published; answers appear on ${plan.progressTopic}` };

    return await waitForEnd(reader, term, {
      timeoutMs: plan.timeoutMs,
      agent: plan.agent,
      until: options.until,
      followHint: options.followHint,
    });
  } catch (error) {
    term.stop();
    if (error instanceof BrokerUnreachableError) return { code: EXIT.unreachable, summary: error.message };
    throw error;
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
}
