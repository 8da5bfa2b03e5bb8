import type { Logger } from '../log/logger.js';
import {
  challengeRequestSchema,
  inboundCorrelation,
  type InboundCorrelation,
  INBOUND_KINDS,
  payloadCorrelation,
  parsePayload,
  parseTopic,
  type InboundKind,
  type ReasonCode,
} from '../mqtt/contract.js';
import type { InboundMessage } from '../mqtt/connection.js';
import type { TrustGate } from '../trust/trust-gate.js';
import { openEnvelope, type OpenedEnvelope } from '../trust/jws.js';
import { TrustError, type Refusal } from '../trust/refusal.js';
import type { OpenedCampaignOrder } from '../trust/campaign/order-read.js';
import { SSH_REFUSAL_REASONS } from '../trust/ssh/reasons.js';
import type { AuditLog } from '../audit/audit-log.js';
import { StateWriteError } from '../store/state-error.js';
import type { Publisher } from './publisher.js';
import { STATE_UNWRITABLE, type StateHealth } from './state-health.js';
import type { RouterSupervisor, StartVerdict } from './router-supervisor.js';
import type { Scheduler } from './schedule/scheduler.js';

const RETAINED_ORDER: ReasonCode = 'retained-order';
const SECURITY_REASONS = new Set<string>([
  ...[
    RETAINED_ORDER,
    'bad-signature',
    'unknown-key',
    'bad-alg',
    'requester-cannot-approve',
    'duplicate-signer',
    'replayed',
  ],
  ...['nonce-stale', 'wrong-challenge', 'digest-mismatch', 'b64-forbidden', 'crit-forbidden'],
  ...['not-in-campaign', 'release-unauthorized', 'release-mismatch'],
  // Every SSH / security-key refusal: a forged, relabelled, touchless or replayed signature.
  ...SSH_REFUSAL_REASONS,
]);

/** Refusals that depend only on the wall clock's reading at the time (see checkFreshness). */
const CLOCK_REASONS = new Set([
  'clock-unsynced',
  'issued-in-future',
  'not-yet-valid',
  'expired',
  'outside-site-window',
]);

/**
 * Refusals before acting: the order used nothing (nonce, id, rate budget), so the same bytes
 * are verified again once the cause is gone, not answered from memory.
 */
const NOTHING_USED = new Set([
  'busy',
  'actuator-busy',
  'router-unreachable',
  'pending-change',
  'no-baseline',
  'schedule-full',
  'not-scheduled',
]);

type Verdicts<K extends keyof TrustGate> = TrustGate[K] extends (...args: never[]) => Promise<infer V> ? V : never;
/** An order the gate accepted, of any kind. */
type AcceptedOrder = Extract<
  Verdicts<'verifyApproval' | 'verifyChangeRequest' | 'verifyCancel' | 'verifyPowerCycle' | 'verifyCampaignOrder'>,
  { ok: true }
>;

/**
 * A message as read at its door, once: the reading (openEnvelope, or openCampaignOrder for a
 * release) or the refusal it earned, and where to answer.
 */
type Door = InboundCorrelation &
  (
    | { release: false; opened: OpenedEnvelope | TrustError }
    | { release: true; opened: OpenedCampaignOrder | TrustError }
  );

function read<T>(payload: Buffer, open: (payload: Buffer) => T): T | TrustError {
  try {
    return open(payload);
  } catch (error) {
    if (error instanceof TrustError) return error;
    throw error;
  }
}

/** A message that cannot be read names its request id when a lenient reading finds one (its answer then arrives). */
function envelopeAtTheDoor(payload: Buffer): Door {
  const opened = read(payload, openEnvelope);
  const at = opened instanceof TrustError ? inboundCorrelation(payload) : payloadCorrelation(payload, opened.payload);
  return { release: false, opened, ...at };
}

/** Campaign code is loaded on the first campaign order only: an idle agent does not carry it. */
async function orderAtTheDoor(payload: Buffer): Promise<Door> {
  const [{ openCampaignOrder }, { campaignCorrelation }] = await Promise.all([
    import('../trust/campaign/order-read.js'),
    import('../trust/campaign/correlation.js'),
  ]);
  const opened = read(payload, openCampaignOrder);
  return { release: true, opened, ...campaignCorrelation(payload, opened instanceof TrustError ? undefined : opened) };
}

/** Recently handled inbound digests: a QoS 1 redelivery is answered, never acted on twice. */
const REMEMBERED = 256;

/**
 * Routes each signed inbound message to the trust gate and then to its router. Runs
 * before the broker gets our PUBACK: verification (and the replay/nonce records it
 * writes) completes first, so a crash cannot lose or double an accepted message; the
 * operation itself runs in the background.
 */
export class InboundDispatcher {
  /** Digest → verdict (a promise while still being verified, so a duplicate waits for it). */
  readonly #handled = new Map<string, Promise<StartVerdict>>();

  constructor(
    private readonly deps: {
      baseTopic: string;
      gate: TrustGate;
      supervisors: ReadonlyMap<string, RouterSupervisor>;
      publisher: Publisher;
      audit: AuditLog;
      logger: Logger;
      /** Told when an order cannot be recorded (the critical state-unwritable alarm). */
      health?: StateHealth;
      /** Keeps orders whose window has not opened, and applies cancels. */
      schedule?: Scheduler;
    },
  ) {}

  async handle(message: InboundMessage): Promise<void> {
    const parsed = parseTopic(this.deps.baseTopic, message.topic);
    if (parsed?.kind === 'challengeRequest') {
      if (!message.retain) await this.challengeAsked(message.payload);
      return;
    }
    if (!parsed || !(INBOUND_KINDS as readonly string[]).includes(parsed.kind)) return;
    const kind = parsed.kind as InboundKind;
    // Read once, here: the gate routes and verifies what was read. One that cannot be read
    // is refused with the reason its reading gave.
    const door = kind === 'release' ? await orderAtTheDoor(message.payload) : envelopeAtTheDoor(message.payload);
    const { requestId, digest } = door;
    if (message.retain) {
      // Orders are never retained: a retained one replays to every subscriber that comes
      // later (a trap, or someone's mistake). Seen as published thanks to Retain As Published.
      const text = 'the order was published retained; orders must be sent live (not retained), nothing was verified';
      await this.refused(kind, requestId, digest, { code: RETAINED_ORDER, message: text });
      return;
    }
    const earlier = this.#handled.get(digest);
    if (earlier) {
      await this.answerDuplicate(await earlier, requestId, digest);
      return;
    }
    const pending = this.dispatch(kind, message.payload, door, digest).catch((error: unknown) =>
      this.unrecorded(error, kind, requestId),
    );
    this.remember(digest, pending);
    const verdict = await pending;
    if (verdict.ok) return;
    // Refused only because of what the clock says now: the same bytes sent again once the
    // clock is right (NTP synced, a step corrected) are verified again, not answered from memory.
    // Likewise for an order that could not be recorded: the stores changed nothing, so the
    // same bytes sent once the state directory is writable are verified again (an id or nonce
    // that did get recorded before the failure makes that a `replayed` or `nonce-stale`).
    const retryable =
      CLOCK_REASONS.has(verdict.code) || NOTHING_USED.has(verdict.code) || verdict.code === STATE_UNWRITABLE;
    if (retryable && this.#handled.get(digest) === pending) this.#handled.delete(digest);
    await this.refused(kind, requestId, digest, verdict);
  }

  /** An unsigned ask for a fresh order challenge; anything malformed or for no router of ours is dropped. */
  private async challengeAsked(payload: Buffer): Promise<void> {
    let ask;
    try {
      ask = parsePayload(challengeRequestSchema, 'challenge-request', payload);
    } catch (error) {
      this.deps.logger.info(
        { err: error instanceof Error ? error.message : String(error) },
        'malformed challenge request dropped',
      );
      return;
    }
    const identity = this.deps.gate.routerFor(ask.router);
    const supervisor = identity ? this.deps.supervisors.get(identity.name) : undefined;
    if (!supervisor || (identity?.serial === undefined && identity?.systemId === undefined)) return;
    await supervisor.offerOrderChallenge(await this.deps.gate.clockSynced());
  }

  /** Audits, logs, raises the event for and answers one refused order. */
  private async refused(
    kind: InboundKind,
    requestId: string | undefined,
    digest: string,
    verdict: { code: ReasonCode; message: string },
  ): Promise<void> {
    await this.record('refused', { kind, requestId, digest, code: verdict.code, message: verdict.message }, requestId);
    const security = SECURITY_REASONS.has(verdict.code);
    this.deps.logger.warn({ kind, requestId, code: verdict.code }, `refused ${kind}: ${verdict.message}`);
    // state-unwritable has its own critical alarm (StateHealth), naming the path and errno.
    if (verdict.code !== STATE_UNWRITABLE || !this.deps.health) {
      this.deps.publisher.event({
        type: security ? 'security' : 'info',
        severity: security ? 'critical' : 'warning',
        code: verdict.code,
        message: `refused ${kind}: ${verdict.message}`,
        ...(requestId ? { requestId } : {}),
        data: { digest },
      });
    }
    if (requestId) {
      this.deps.publisher.progress(
        requestId,
        { state: 'failed', final: true, inReplyTo: digest, detail: verdict.message },
        { code: verdict.code, message: verdict.message },
      );
    }
  }

  /**
   * Verifying an order records its request id, nonce and rate budget, and accepting it is
   * audited: when the state directory refuses any of that, the order is refused (nothing
   * was actuated: an approval that cannot be recorded as used could be replayed after a
   * crash). Any other error is a bug and propagates.
   */
  private unrecorded(error: unknown, kind: InboundKind, requestId: string | undefined): StartVerdict {
    if (!(error instanceof StateWriteError)) throw error;
    this.deps.health?.report(error, { what: `record the ${kind}`, requestId });
    return {
      ok: false,
      code: STATE_UNWRITABLE,
      message:
        `the ${kind} could not be recorded (${error.code} on ${error.path}); nothing ` +
        `was actuated; send it again once the agent's state directory is writable`,
    };
  }

  /** An audit entry that is not worth refusing over (the answer goes out regardless). */
  private async record(type: string, data: Record<string, unknown>, requestId: string | undefined): Promise<void> {
    try {
      await this.deps.audit.append(type, data);
    } catch (error) {
      if (!(error instanceof StateWriteError)) throw error;
      this.deps.health?.report(error, { what: `append ${type} to the audit log`, requestId });
    }
  }

  /** The gate's verdict on what the door read; a message that could not be read is refused with that reason. */
  private verify(kind: InboundKind, door: Door): Promise<AcceptedOrder | Refusal> {
    const gate = this.deps.gate;
    if (door.opened instanceof TrustError) return Promise.resolve(door.opened.toRefusal());
    if (door.release) return gate.verifyCampaignOrder(door.opened);
    const input = door.opened;
    return kind === 'approval'
      ? gate.verifyApproval(input)
      : kind === 'request'
        ? gate.verifyChangeRequest(input)
        : kind === 'cancel'
          ? gate.verifyCancel(input)
          : gate.verifyPowerCycle(input);
  }

  /** Verifies at the door (the gate finds the router and any quoted challenge), audits, delivers. */
  private async dispatch(kind: InboundKind, payload: Buffer, door: Door, digest: string): Promise<StartVerdict> {
    const verdict = await this.verify(kind, door);
    if (!verdict.ok) return { ok: false, code: verdict.reason, message: verdict.detail };
    const supervisor = this.deps.supervisors.get(verdict.router);
    if (!supervisor) return { ok: false, code: 'wrong-router', message: 'the message names no router of this agent' };
    const campaign = 'campaign' in verdict ? { campaign: verdict.campaign } : {};
    const audited = this.deps.audit.append('accepted', {
      kind,
      requestId: verdict.message.requestId,
      digest,
      router: supervisor.name,
      approvers: verdict.approverNames,
      ...campaign,
    });
    audited.catch(() => undefined); // awaited below, whatever the order's fate
    const opened = door.release || door.opened instanceof TrustError ? undefined : door.opened;
    const delivered = await this.deliver(kind, verdict, { digest, payload, opened, supervisor, audited });
    await audited;
    return delivered;
  }

  /**
   * Hands an accepted order on: a cancel or an order whose window has not opened to the
   * schedule (once its `accepted` audit entry is written), anything else to its router. An
   * order that starts now writes that entry alongside its own record (its commit: the trust
   * ledger), not before it: both are durable before anything acts, and a state directory
   * that cannot take the entry refuses the order (docs/agent.md, durable writes).
   */
  private async deliver(
    kind: InboundKind,
    verdict: AcceptedOrder,
    at: {
      digest: string;
      payload: Buffer;
      /** The door's reading, kept with a scheduled order: verified again on it when the window opens. */
      opened: OpenedEnvelope | undefined;
      supervisor: RouterSupervisor;
      audited: Promise<unknown>;
    },
  ): Promise<StartVerdict> {
    const { digest, supervisor, audited } = at;
    const message = verdict.message;
    const schedule = this.deps.schedule;
    if (message.kind === 'cancel') {
      if (!schedule) return { ok: false, code: 'not-scheduled', message: 'this agent keeps no scheduled orders' };
      await audited;
      return schedule.cancel({ ...verdict, message }, digest, supervisor.name);
    }
    const commit = verdict.commit;
    const now = { ...verdict, commit: () => Promise.all([commit(), audited]).then(() => undefined) };
    if (message.kind === 'approval') return supervisor.deliver({ ...now, message }, digest);
    // An id that waits (or waited) for its window is never accepted again under other bytes.
    const held = schedule?.answerHeld(message.requestId, digest);
    if (held) return held;
    if (verdict.opensAt === undefined) {
      return supervisor.deliver(message.kind === 'change-request' ? { ...now, message } : { ...now, message }, digest);
    }
    if (!schedule)
      return {
        ok: false,
        code: 'not-yet-valid',
        message: `the window opens at ${new Date(verdict.opensAt).toISOString()}`,
      };
    await audited;
    const order = message.kind === 'change-request' ? { ...verdict, message } : { ...verdict, message };
    const received = { payload: at.payload, opened: at.opened };
    return schedule.schedule(kind === 'request' ? 'request' : 'powercycle', order, digest, received, supervisor);
  }

  /**
   * A QoS 1 redelivery (or the same bytes sent again) is never acted on twice, but it is
   * answered: the operator's `--wait` may have missed the first answers. The latest answer
   * to those exact bytes is sent again; an order accepted but not answered yet (an approval
   * before its action starts) is answered by the progress that follows.
   */
  private async answerDuplicate(verdict: StartVerdict, requestId: string | undefined, digest: string): Promise<void> {
    const last = this.deps.publisher.lastAnswer(digest);
    this.deps.logger.info({ digest, requestId, answered: last?.data.state }, 'duplicate delivery: not acted on again');
    await this.record('duplicate', { requestId, digest, ok: verdict.ok, answered: last?.data.state }, requestId);
    if (!last) return;
    const detail = `duplicate delivery, already handled${last.data.detail ? `: ${last.data.detail}` : ''}`;
    this.deps.publisher.progress(last.requestId, { ...last.data, detail }, last.error, { repeat: true });
  }

  private remember(digest: string, verdict: Promise<StartVerdict>): void {
    this.#handled.set(digest, verdict);
    if (this.#handled.size > REMEMBERED) this.#handled.delete(this.#handled.keys().next().value as string);
  }
}
