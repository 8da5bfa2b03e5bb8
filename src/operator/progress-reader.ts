/**
 * Reads the answers on `progress/<requestId>` for `--wait` and `dmconfirm follow`: drops
 * QoS 1 duplicates and malformed or foreign answers (with a note), prints each accepted step
 * and resolves `over` at the final one. Decisions are progress.ts's; this only feeds them.
 */
import { parsePayload, responseSchema } from '../mqtt/contract.js';
import { foldAnswer, isOver, renderStep, startFollowing } from './progress.js';
import type { Following, ProgressStep } from './progress.js';
import type { Terminal } from './terminal.js';

export class ProgressReader {
  following: Following;
  /** Until the order is out, answers are not ours to read. */
  open = false;
  readonly over: Promise<void>;
  #finish: () => void = () => undefined;
  readonly #seen = new Set<string>();

  /** `digest` undefined (follow by id only): the first answer's inReplyTo is taken, then held to. */
  constructor(
    readonly requestId: string,
    private digest: string | undefined,
    private readonly term: Terminal,
    private readonly note: (text: string) => void,
  ) {
    this.following = startFollowing(requestId, digest ?? '', Date.now());
    this.over = new Promise<void>((resolve) => (this.#finish = resolve));
  }

  /** Starts the clock (the order just went out, or we just attached). */
  start(): void {
    this.following = startFollowing(this.requestId, this.digest ?? '', Date.now());
    this.open = true;
  }

  /**
   * The operation ended without us seeing its final answer (we attached late, or missed it):
   * its retained last result stands in for it.
   */
  ended(result: {
    state: ProgressStep['state'];
    detail?: string | undefined;
    router?: string | undefined;
    at: string;
  }): void {
    if (isOver(this.following)) return;
    const step: ProgressStep = {
      receivedAt: Date.parse(result.at),
      status: 'ok',
      state: result.state,
      router: result.router,
      detail: result.detail,
      final: true,
    };
    this.following = { ...this.following, steps: [...this.following.steps, step] };
    this.term.line(renderStep(step, this.following.sentAt));
    this.#finish();
  }

  read(topic: string, payload: Buffer): void {
    if (!this.open) return;
    const text = payload.toString('utf8');
    // QoS 1 may deliver an answer twice; the same bytes are the same step.
    if (this.#seen.has(text)) return;
    this.#seen.add(text);
    let answer;
    try {
      answer = parsePayload(responseSchema, topic, payload);
    } catch (error) {
      this.note(`ignored a malformed answer on ${topic}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.digest === undefined && answer.id === this.requestId && answer.data.inReplyTo !== undefined) {
      this.digest = answer.data.inReplyTo;
      this.following = { ...this.following, digest: this.digest };
      this.note(
        'answers are checked against the first one seen (give the message file to check them against its bytes)',
      );
    }
    const folded = foldAnswer(this.following, answer, Date.now());
    this.following = folded.following;
    if (!folded.step) {
      this.note(`ignored an answer (${answer.status} ${answer.data.state}): ${folded.why ?? ''}`);
      return;
    }
    this.term.line(renderStep(folded.step, this.following.sentAt));
    if (isOver(this.following)) this.#finish();
  }
}
