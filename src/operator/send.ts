/**
 * The one place where publishing a signed order and following its answers touches the
 * world: broker connection, clock, terminal. Decisions live in send-plan.ts and progress.ts.
 */
import { parsePayload, responseSchema } from '../mqtt/contract.js';
import type { MqttLinkSettings } from '../mqtt/connection.js';
import { BrokerUnreachableError, connectOperator } from './broker.js';
import { EXIT, foldAnswer, formatDuration, isOver, outcome, renderStep, startFollowing, summary } from './progress.js';
import type { ExitCode, Following } from './progress.js';
import type { SendPlan } from './send-plan.js';
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
}

export async function sendAndFollow(plan: SendPlan, settings: MqttLinkSettings, options: SendOptions): Promise<SendResult> {
  const term = new Terminal(options.out);
  const note = (text: string) => {
    if (term.interactive) term.line(text);
    else options.err.write(`${text}\n`);
  };
  let following = startFollowing(plan.requestId, plan.digest, Date.now());
  let sent = false;
  let finish: () => void = () => undefined;
  const over = new Promise<void>((resolve) => (finish = resolve));

  // QoS 1 may deliver an answer twice; the same bytes are the same step.
  const seen = new Set<string>();
  const onMessage = ({ topic, payload }: { topic: string; payload: Buffer }) => {
    if (!sent || topic !== plan.progressTopic) return;
    const text = payload.toString('utf8');
    if (seen.has(text)) return;
    seen.add(text);
    let answer;
    try {
      answer = parsePayload(responseSchema, topic, payload);
    } catch (error) {
      note(`ignored a malformed answer on ${topic}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const folded = foldAnswer(following, answer, Date.now());
    following = folded.following;
    if (!folded.step) {
      note(`ignored an answer (${answer.status} ${answer.data.state}): ${folded.why ?? ''}`);
      return;
    }
    term.line(renderStep(folded.step, following.sentAt));
    if (isOver(following)) finish();
  };

  let link;
  try {
    link = await connectOperator(settings, {
      subscriptions: plan.wait ? [plan.progressTopic] : [],
      onMessage,
      timeoutMs: options.connectTimeoutMs,
    });
  } catch (error) {
    return { code: EXIT.unreachable, summary: error instanceof Error ? error.message : String(error) };
  }
  link.on('disconnected', () => note('connection to the broker lost; reconnecting (answers sent meanwhile are lost)'));

  try {
    // Subscribed before publishing (connectOperator waits for the SUBACK): no answer can slip past.
    following = startFollowing(plan.requestId, plan.digest, Date.now());
    sent = true;
    try {
      await link.publish(plan.topic, plan.bytes, { qos: plan.qos, retain: plan.retain, expirySeconds: plan.expirySeconds });
    } catch (error) {
      throw new BrokerUnreachableError(`the broker did not take the message: ${error instanceof Error ? error.message : String(error)}`);
    }
    term.line(`sent ${plan.kind} ${plan.requestId} to ${plan.topic}`);
    if (!plan.wait) return { code: EXIT.done, summary: `published; answers appear on ${plan.progressTopic}` };

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, plan.timeoutMs)));
    term.spin(() => {
      const last = following.steps.at(-1);
      const elapsed = formatDuration(Date.now() - following.sentAt);
      return last ? `${last.state} … ${elapsed}` : `waiting for agent ${plan.agent} … ${elapsed}`;
    });
    await Promise.race([over, timedOut]);
    clearTimeout(timer);
    term.stop();
    const code = outcome(following);
    return { code, summary: summary(following, code, plan.timeoutMs), following };
  } catch (error) {
    term.stop();
    if (error instanceof BrokerUnreachableError) return { code: EXIT.unreachable, summary: error.message };
    throw error;
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
}
