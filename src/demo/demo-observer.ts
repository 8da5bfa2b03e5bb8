/**
 * What the demo sees of the site: every MQTT message the agent publishes (kept, so a wait can
 * be satisfied by a message that came first) and the simulated router's own events, narrated
 * and counted so a scenario can tell whether anything was actuated.
 */
import { parsePayload, routerStateSchema } from '../mqtt/contract.js';
import type { RouterStateMessage } from '../mqtt/contract.js';
import type { InboundMessage } from '../mqtt/connection.js';
import type { AgentTopics } from '../mqtt/topics.js';
import type { SimulatedRouter } from '../sim/index.js';
import { describeDeviceMode, describeSimChange, describeSimEvent, type SimEvent, type Speaker } from './narration.js';

export interface SeenMessage {
  topic: string;
  payload: string;
}

interface Waiter {
  test: (m: SeenMessage) => boolean;
  resolve: (payload: string) => void;
  reject: (why: string) => void;
}

/** How often the router was asked to change or had its power switched, since the demo began. */
export interface Actuations {
  power: number;
  updates: number;
}

type SimChangeEvent = Parameters<typeof describeSimChange>[0];

export class DemoObserver {
  #waiters = new Set<Waiter>();
  #seen: SeenMessage[] = [];
  #fatal: Error | undefined;
  #power = 0;
  #updates = 0;

  constructor(
    private readonly topics: AgentTopics,
    private readonly say: (who: Speaker, text: string) => void,
  ) {}

  get actuations(): Actuations {
    return { power: this.#power, updates: this.#updates };
  }

  /** The operator link's message handler. */
  onMessage(message: InboundMessage): void {
    const m = { topic: message.topic, payload: message.payload.toString('utf8') };
    this.#seen.push(m);
    for (const waiter of [...this.#waiters]) {
      try {
        if (!waiter.test(m)) continue;
      } catch {
        continue; // a malformed message is not the one we wait for
      }
      waiter.resolve(m.payload);
    }
  }

  /** The agent died: every wait fails now, and every later one at once. */
  agentFailed(error: Error): void {
    this.#fatal = error;
    for (const waiter of [...this.#waiters]) waiter.reject(`the agent failed (${error.message})`);
  }

  /** The first message (already seen or still to come) that passes `test`; rejects on timeout or agent failure. */
  waitFor(test: Waiter['test'], what: string, timeoutMs: number): Promise<string> {
    for (const m of this.#seen) {
      try {
        if (test(m)) return Promise.resolve(m.payload);
      } catch {
        // keep looking
      }
    }
    if (this.#fatal) return Promise.reject(new Error(`the agent failed: ${this.#fatal.message}`));
    return new Promise((resolve, reject) => {
      const settle = (error?: Error, payload?: string) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve(payload ?? '');
      };
      const waiter: Waiter = {
        test,
        resolve: (p) => settle(undefined, p),
        reject: (why) => settle(new Error(`${why} while waiting for ${what}`)),
      };
      const timer = setTimeout(() => waiter.reject(`gave up after ${timeoutMs / 1000} s`), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** The first retained router state the agent publishes that passes `test`. */
  async waitForState(
    test: (r: RouterStateMessage) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<RouterStateMessage> {
    const topic = this.topics.routerState('hap1');
    const text = await this.waitFor(
      (m) => m.topic === topic && m.payload !== '' && test(parsePayload(routerStateSchema, topic, m.payload)),
      what,
      timeoutMs,
    );
    return parsePayload(routerStateSchema, topic, text);
  }

  /** The router state the agent published last, if any. */
  lastState(): RouterStateMessage | undefined {
    const topic = this.topics.routerState('hap1');
    const last = this.#seen.filter((m) => m.topic === topic && m.payload !== '').at(-1);
    return last ? parsePayload(routerStateSchema, topic, last.payload) : undefined;
  }

  /** Narrates what the simulated router does and counts its actuations. */
  listenToRouter(router: SimulatedRouter): void {
    const tell = (event: SimEvent) => this.say('router', describeSimEvent(event));
    router.on(
      'update-requested',
      (e: { pending: { change: SimChangeEvent; timeoutMs: number }; attemptCount: number }) => {
        this.#updates += 1;
        tell({
          kind: 'update-requested',
          change: describeSimChange(e.pending.change),
          attemptCount: e.attemptCount,
          timeoutMs: e.pending.timeoutMs,
        });
      },
    );
    router.on('update-confirmed', () => tell({ kind: 'update-confirmed' }));
    router.on('update-canceled', (e: { reason: string }) => tell({ kind: 'update-canceled', reason: e.reason }));
    router.on('power', (e: { on: boolean; offMs?: number; cold?: boolean }) => {
      this.#power += 1;
      tell({ kind: 'power', ...e });
    });
    router.on('boot', (e: { cold: boolean }) => tell({ kind: 'boot', cold: e.cold }));
    router.on('booted', () => {
      const s = router.state();
      tell({ kind: 'booted' });
      this.say('router', describeDeviceMode(s));
    });
    router.on('applied', (e: { change: SimChangeEvent }) =>
      tell({ kind: 'applied', change: describeSimChange(e.change) }),
    );
    router.on('fault', (f: { kind: string }) => tell({ kind: 'fault', fault: f.kind }));
  }
}
