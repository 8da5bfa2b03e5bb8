/**
 * Is anyone there? Before an order goes out, the agent's retained status tells whether it
 * ever spoke on this broker. An agent that never did (a typo in the site or agent id, the
 * wrong base topic or broker) is said at once, with the agents the broker does know,
 * instead of waiting the whole --wait for an answer that cannot come.
 */
import { parsePayload, statusSchema } from '../mqtt/contract.js';
import type { AgentStatus } from '../mqtt/contract.js';
import { agentTopics, parseTopic } from '../mqtt/topics.js';

export type Presence = { known: true; status: AgentStatus } | { known: false; message: string };

export class AgentPresence {
  readonly #statusTopic: string;
  readonly #known = new Map<string, AgentStatus>();
  #last = Date.now();
  #own: AgentStatus | undefined;

  constructor(
    readonly base: string,
    readonly site: string,
    readonly agent: string,
  ) {
    this.#statusTopic = agentTopics(base, site, agent).status;
  }

  /** Every agent's retained status: ours, and the others to suggest when ours is missing. */
  get subscriptions(): string[] {
    return [`${this.base.replace(/\/+$/, '')}/+/+/status`];
  }

  /** Feeds a received message; true if it was a status (and is no one else's business). */
  observe(topic: string, payload: Buffer): boolean {
    const parsed = parseTopic(this.base, topic);
    if (parsed?.kind !== 'status') return false;
    this.#last = Date.now();
    if (payload.length === 0) return true;
    try {
      const status = parsePayload(statusSchema, topic, payload);
      this.#known.set(`${parsed.site}/${parsed.agent}`, status);
      if (topic === this.#statusTopic) this.#own = status;
    } catch {
      // A malformed status is nobody's presence.
    }
    return true;
  }

  /** Waits until our agent's status came, or the retained burst went quiet (at most maxMs). */
  async settle(options: { quietMs?: number; maxMs?: number } = {}): Promise<Presence> {
    const quietMs = options.quietMs ?? 300;
    const until = Date.now() + (options.maxMs ?? 3000);
    this.#last = Date.now();
    while (!this.#own && Date.now() < until && Date.now() - this.#last < quietMs) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.verdict();
  }

  verdict(): Presence {
    if (this.#own) return { known: true, status: this.#own };
    const others = [...this.#known.keys()].sort();
    const here = others.filter((k) => k.startsWith(`${this.site}/`));
    const list = (keys: string[]) =>
      keys.length > 8 ? `${keys.slice(0, 8).join(', ')}, ... (${keys.length})` : keys.join(', ');
    const known =
      others.length === 0
        ? `no agent has published a status under ${this.base} on this broker (check --base and --broker)`
        : here.length > 0
          ? `agents at site ${this.site}: ${list(here.map((k) => k.split('/')[1]!))}`
          : `no agent at site "${this.site}"; agents this broker knows: ${list(others)}`;
    return {
      known: false,
      message:
        `agent "${this.agent}" at site "${this.site}" has never published a status on this ` +
        `broker (nothing retained on ${this.#statusTopic}); nothing was sent. ${known}`,
    };
  }
}
