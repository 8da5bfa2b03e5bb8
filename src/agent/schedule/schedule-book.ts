import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonAtomic } from '../../store/atomic-file.js';
import { SerialQueue } from '../../trust/serial-queue.js';

/** At most this many orders wait at once (per agent): the file and the retained list stay small. */
export const MAX_SCHEDULED = 32;

const SCHEDULE_STATES = ['scheduled', 'started', 'cancelled', 'expired', 'failed'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

const expectSchema = z.strictObject({
  serial: z.string().optional(),
  systemId: z.string().optional(),
  mode: z.string(),
  features: z.record(z.string(), z.boolean()),
  flagged: z.boolean(),
  attemptCount: z.number().int().min(0),
});
/** What the router showed when the order was scheduled; the window opening must find the same. */
export type RouterExpectation = z.infer<typeof expectSchema>;

const orderSchema = z.strictObject({
  requestId: z.string(),
  digest: z.string(),
  kind: z.enum(['request', 'powercycle']),
  router: z.string(),
  /** The exact bytes received (base64url): verified again, whole, when the window opens. */
  payload: z.string(),
  opensAt: z.number(),
  closesAt: z.number(),
  scheduledAt: z.number(),
  urgent: z.boolean().optional(),
  expect: expectSchema,
  state: z.enum(SCHEDULE_STATES),
  endedAt: z.number().optional(),
  detail: z.string().optional(),
});
export type ScheduledOrder = z.infer<typeof orderSchema>;

const fileSchema = z.strictObject({ v: z.literal(1), orders: z.array(orderSchema) });

/**
 * Orders accepted before their window opened, kept in the state directory (one atomic
 * file): they survive restarts, and their request ids stay here (an ended one too, until its
 * window has closed) so the same order cannot be scheduled twice or come back after a cancel.
 * Every change is written before it is current: a failed write changes nothing.
 */
export class ScheduleBook {
  readonly #path: string;
  readonly #queue = new SerialQueue();
  #orders: ScheduledOrder[] = [];

  constructor(stateDir: string) {
    this.#path = join(stateDir, 'scheduled.json');
  }

  async load(): Promise<void> {
    const stored = await readJsonFile<unknown>(this.#path);
    if (stored === undefined) return;
    const parsed = fileSchema.safeParse(stored);
    if (!parsed.success)
      throw new Error(`${this.#path}: not a schedule file (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    this.#orders = parsed.data.orders;
  }

  get(requestId: string): ScheduledOrder | undefined {
    return this.#orders.find((o) => o.requestId === requestId);
  }

  /** Waiting orders, soonest first. */
  waiting(): ScheduledOrder[] {
    return this.#orders.filter((o) => o.state === 'scheduled').sort((a, b) => a.opensAt - b.opensAt);
  }

  /** Adds an order; false when its request id is already here (scheduled, or ended). */
  add(order: ScheduledOrder): Promise<boolean> {
    return this.#queue.run(async () => {
      if (this.get(order.requestId)) return false;
      await this.#write([...this.#orders, order]);
      return true;
    });
  }

  /** Ends a waiting order; false when it was not waiting any more (e.g. cancelled meanwhile). */
  end(requestId: string, state: Exclude<ScheduleState, 'scheduled'>, at: number, detail: string): Promise<boolean> {
    return this.#queue.run(async () => {
      const order = this.get(requestId);
      if (order?.state !== 'scheduled') return false;
      await this.#write(this.#orders.map((o) => (o === order ? { ...o, state, endedAt: at, detail } : o)));
      return true;
    });
  }

  /** A later start (a site window after the order's own, or a retry). */
  postpone(requestId: string, opensAt: number): Promise<void> {
    return this.#queue.run(async () => {
      await this.#write(
        this.#orders.map((o) => (o.requestId === requestId && o.state === 'scheduled' ? { ...o, opensAt } : o)),
      );
    });
  }

  /**
   * Forgets ended orders whose window has closed, by a synchronized clock only: by then
   * their bytes are refused `expired`, so the id need not be remembered here any more.
   */
  prune(now: number): Promise<void> {
    return this.#queue.run(async () => {
      const kept = this.#orders.filter((o) => o.state === 'scheduled' || o.closesAt >= now);
      if (kept.length !== this.#orders.length) await this.#write(kept);
    });
  }

  async #write(orders: ScheduledOrder[]): Promise<void> {
    await writeJsonAtomic(this.#path, { v: 1, orders });
    this.#orders = orders;
  }
}
