/**
 * What a demo scenario works with: the running site, what the demo saw of it, and the ways to
 * speak, to record a check and to send a signed order. The demo run provides it once set up.
 */
import type { AgentTopics } from '../mqtt/topics.js';
import type { Following } from '../operator/progress.js';
import type { DemoObserver } from './demo-observer.js';
import type { Speaker } from './narration.js';
import type { SimulatedSite } from './site.js';

export interface DemoStage {
  readonly site: SimulatedSite;
  readonly topics: AgentTopics;
  readonly observer: DemoObserver;
  /** Starts a new part of the demo under a heading. */
  section(title: string): void;
  say(who: Speaker, text: string): void;
  check(name: string, ok: boolean, detail: string): void;
  /** Publishes one signed order and narrates the agent's answers until the final one (or the timeout). */
  follow(jws: string, timeoutMs: number): Promise<Following>;
}
