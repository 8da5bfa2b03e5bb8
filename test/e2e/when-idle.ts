import type { AgentResponse } from '../../src/mqtt/contract.js';
import { waitFor } from '../helpers/mosquitto.js';
import type { E2E } from './harness.js';

/** Publishes until the answer is not `busy` (the expired operation may still be closing; a busy refusal used nothing).
 * */
export async function answerWhenIdle(
  e2e: E2E,
  kind: 'request' | 'powercycle',
  jws: string,
  timeoutMs = 30_000,
): Promise<AgentResponse> {
  const requestId = e2e.requestIdOf(jws);
  for (let attempt = 1; ; attempt++) {
    await e2e.publish(kind, jws);
    await waitFor(
      () => e2e.answers(requestId).filter((a) => a.data.final).length >= attempt || undefined,
      `answer #${attempt}`,
      timeoutMs,
    );
    const answer = e2e.answers(requestId).filter((a) => a.data.final)[attempt - 1]!;
    if (answer.error?.code !== 'busy' || attempt >= 20) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
