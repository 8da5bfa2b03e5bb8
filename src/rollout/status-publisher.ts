import type { Logger } from '../log/logger.js';
import { rolloutTopics, ROLLOUT_HEARTBEAT_SECONDS } from '../mqtt/contract.js';
import type { RolloutStatus } from './status-view.js';

type Publish = (topic: string, payload: string) => Promise<void>;

/**
 * Publishes the coordinator's retained status: the summary when it changed or its heartbeat
 * is due, a page of targets only when one of its targets changed. It never holds up the
 * rollout: a publication waiting for the broker (an outage) is not awaited, and only the
 * newest status is sent once it went through. A failure is logged and retried with the next.
 */
export class StatusPublisher {
  /** What was last sent per topic, without its time: unchanged parts are not sent again. */
  readonly #sent = new Map<string, string>();
  #summaryAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  #next: RolloutStatus | undefined;

  constructor(
    private readonly base: string,
    private readonly publish: Publish,
    private readonly logger: Logger,
  ) {}

  /** Whether the summary should be sent again although nothing changed (the coordinator lives). */
  heartbeatDue(now: number): boolean {
    return now - this.#summaryAt >= ROLLOUT_HEARTBEAT_SECONDS * 1000;
  }

  offer(status: RolloutStatus): void {
    this.#next = status;
    this.#inFlight ??= this.#drain().finally(() => (this.#inFlight = undefined));
  }

  /** Waits (at most `timeoutMs`) for what was offered to be sent: before the coordinator disconnects. */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.#inFlight, timeout]);
    clearTimeout(timer);
  }

  async #drain(): Promise<void> {
    while (this.#next) {
      const status = this.#next;
      this.#next = undefined;
      const topics = rolloutTopics(this.base, status.summary.campaignId);
      const parts: Array<[string, { at: string }]> = [
        ...status.pages.map((p): [string, { at: string }] => [topics.page(p.page), p]),
        [topics.summary, status.summary],
      ];
      const summaryAt = Date.parse(status.summary.at);
      const beat = this.heartbeatDue(summaryAt);
      for (const [topic, message] of parts) {
        const key = JSON.stringify({ ...message, at: undefined });
        if (this.#sent.get(topic) === key && !(topic === topics.summary && beat)) continue;
        try {
          await this.publish(topic, JSON.stringify(message));
          this.#sent.set(topic, key);
          if (topic === topics.summary) this.#summaryAt = summaryAt;
        } catch (error) {
          this.logger.warn({ topic, err: (error as Error).message }, 'rollout: status not published; retried later');
        }
      }
    }
  }
}
