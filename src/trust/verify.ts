import type { Policy } from '../config/policy-schema.js';
import { changeDigest } from './change.js';
import type { WallClock } from '../time/wall-clock.js';
import { checkFreshness } from './freshness.js';
import type { ClockReading } from './freshness.js';
import { openEnvelope, verifyEnvelope } from './jws.js';
import type { SignedInput, VerifiedEnvelope } from './jws.js';
import { TYP } from './messages.js';
import { readMessage } from './message-read.js';
import type { Approval, Cancel, ChangeRequest, Challenge, PowerCycle, RouterRef, SignedMessage } from './messages.js';
import type { ChallengeBook } from './challenge-book.js';
import type { NonceStore } from './nonce-store.js';
import { checkChangePolicy, checkPowerCyclePolicy } from './policy.js';
import type { Method } from './policy.js';
import type { RateLimiter } from './rate-limit.js';
import { writeStaged } from '../store/state-slot.js';
import { asVerdict, refuse } from './refusal.js';
import type { Refusal } from './refusal.js';
import type { ReplayStore } from './replay-store.js';
import type { SkCounterStore } from './ssh/sk-counters.js';
import type { SkEvidence } from './ssh/sshsig-verify.js';
import { checkRequester, countApprovers, requiredApprovals } from './approvers.js';
import { checkSiteWindow } from './site-window-check.js';
import type { Requirement } from './approvers.js';
import type { TrustRoot } from './trust-root.js';

/** This router as the agent knows it: binding name, identity, allowed methods. */
export interface RouterBinding {
  name: string;
  serial?: string;
  systemId?: string;
  methods: readonly Method[];
}

export interface VerifyContext {
  trustRoot: TrustRoot;
  agentId: string;
  router: RouterBinding;
  clock: WallClock;
  policy: Policy;
  replayStore: ReplayStore;
  /** Last accepted counter per security key; a counter that does not rise is refused. */
  skCounters: SkCounterStore;
  nonceStore?: NonceStore;
  /** The agent's open challenges: a quoted challenge must have been issued for this message's use and router. */
  challenges?: Pick<ChallengeBook, 'check'>;
  /** When given, each accepted message takes one operation of policy.maxOperationsPerHour. */
  rateLimiter?: RateLimiter;
  maxAgeMs?: number;
  maxFutureSkewMs?: number;
  /**
   * Verify only: the accepted verdict's `commit` consumes the nonce, remembers the id and
   * takes the rate budget (one durable write of the trust ledger), called when the operation really starts,
   * so an order refused before acting (busy, unreachable, unwritable) has used nothing.
   */
  deferCommit?: boolean;
  /** A change request or power cycle whose window has not opened (or a site window) is accepted with `opensAt`. */
  schedulable?: boolean;
}

export interface Accepted<M extends SignedMessage> {
  ok: true;
  message: M;
  /** Distinct approver identities (people) that counted, found from locally computed key ids. */
  approverNames: string[];
  /** Key ids of every valid signature (requester's included), e.g. to check against a newer root. */
  signerKeyIds: string[];
  requirement: Requirement;
  /** Records the nonce, id and rate budget as used (already done unless ctx.deferCommit); refuses on a race. */
  commit: () => Promise<void>;
  /** Set when the order may not start yet (its window, or the site's): keep it and verify it again then. */
  opensAt?: number;
}
export type Verdict<M extends SignedMessage> = Accepted<M> | Refusal;

export function checkTarget(
  message: { agent: string; router: RouterRef },
  ctx: Pick<VerifyContext, 'agentId' | 'router'>,
): void {
  if (message.agent !== ctx.agentId)
    refuse('wrong-agent', `addressed to agent "${message.agent}", this is "${ctx.agentId}"`);
  const { serial, systemId } = message.router;
  if (serial !== undefined && serial !== ctx.router.serial) {
    refuse(
      'wrong-router',
      `addressed to router serial ${serial}; router ${ctx.router.name} has serial ${ctx.router.serial ?? '(unknown)'}`,
    );
  }
  if (systemId !== undefined && systemId !== ctx.router.systemId) {
    refuse(
      'wrong-router',
      `addressed to system id ${systemId}; router ${ctx.router.name} has ${ctx.router.systemId ?? '(unknown)'}`,
    );
  }
}

/** The signatures checked against the trust root; `json` is the payload as read (readMessage takes it). */
export async function verifySigned(
  input: SignedInput,
  typ: string,
  ctx: Pick<VerifyContext, 'trustRoot'>,
): Promise<VerifiedEnvelope & { json: unknown }> {
  const root = ctx.trustRoot;
  root.requireCurrentSchema();
  const opened = openEnvelope(input);
  const verified = await verifyEnvelope(opened.envelope, typ, (kid) => root.lookup(kid), `trust root v${root.version}`);
  return { ...verified, json: opened.payload };
}

function approvers<M extends SignedMessage>(
  ctx: VerifyContext,
  verified: VerifiedEnvelope,
  message: M,
  need: Requirement,
): Accepted<M> {
  const requester = 'requester' in message ? checkRequester(ctx.trustRoot, verified, message.requester) : undefined;
  const names = countApprovers(ctx.trustRoot, verified.signers, requester, need);
  const signerKeyIds = verified.signers.map((s) => s.keyId);
  return { ok: true, message, approverNames: names, signerKeyIds, requirement: need, commit: () => Promise.resolve() };
}

/**
 * Remembers the id, takes the rate budget, advances security-key counters and consumes the
 * nonce: only after every check, one commit at a time, and with ONE durable write when the
 * stores share the trust ledger (the agent's case). The nonce is consumed in memory once
 * that write is done: no nonce outlives a restart, the request id does.
 */
async function commit(
  message: SignedMessage,
  ctx: VerifyContext,
  clock: ClockReading,
  skEvidence: SkEvidence[],
): Promise<void> {
  await ctx.replayStore.exclusive(async () => {
    checkRateBudget(ctx, clock);
    const quoted = message.challenge;
    const id = ctx.replayStore.stage(message.requestId, clock.now, clock.synced, quoted?.challengeId);
    if (!id) refuse('replayed', `request id ${message.requestId} was already accepted`);
    // Security-key counters must rise; after the replay check, so a message seen before is
    // called `replayed`, and before the nonce, so a refusal uses none.
    const counters = ctx.skCounters.stage(skEvidence, clock.now);
    if (quoted && !ctx.nonceStore?.isCurrent(quoted.challengeId, quoted.nonce)) {
      refuse('nonce-stale', `challenge ${quoted.challengeId}: nonce was used meanwhile`);
    }
    const budget = ctx.rateLimiter?.stage(ctx.router.name, ctx.policy.maxOperationsPerHour, clock.now);
    if (budget === false) refuse('rate-limited', `router ${ctx.router.name} has no operations left this hour`);
    await writeStaged([id, ...(counters ? [counters] : []), ...(budget ? [budget] : [])]);
    if (quoted && !(await ctx.nonceStore?.consume(quoted.challengeId, quoted.nonce, { durable: false }))) {
      refuse('nonce-stale', `challenge ${quoted.challengeId}: nonce was used meanwhile`);
    }
  });
}

/** Refuses when the router's hourly budget is spent. */
function checkRateBudget(ctx: VerifyContext, clock: ClockReading): void {
  const wait = ctx.rateLimiter?.waitMs(ctx.router.name, ctx.policy.maxOperationsPerHour, clock.now) ?? 0;
  if (wait > 0) {
    const [hourly, minutes] = [ctx.policy.maxOperationsPerHour, Math.ceil(wait / 60_000)];
    const router = ctx.router.name;
    refuse('rate-limited', `router ${router} had ${hourly} operations in the last hour; next in ${minutes} min`);
  }
}

/** Commits now, or (ctx.deferCommit) checks the rate budget and hands the commit to the caller. */
export async function settle<M extends SignedMessage>(
  accepted: Accepted<M>,
  ctx: VerifyContext,
  clock: ClockReading,
  skEvidence: SkEvidence[],
): Promise<Accepted<M>> {
  // Scheduled: the rate budget is the hour it starts in, checked then (commit uses the clock of then).
  if (accepted.opensAt !== undefined) return accepted;
  if (!ctx.deferCommit) {
    await commit(accepted.message, ctx, clock, skEvidence);
    return accepted;
  }
  checkRateBudget(ctx, clock);
  return { ...accepted, commit: () => commit(accepted.message, ctx, clock, skEvidence) };
}

/**
 * Replay first (the clearer reason for a duplicate), then nonce and wall-time freshness,
 * then the site's maintenance windows; `opensAt` when the order must wait (schedulable only).
 */
export async function readFresh<M extends SignedMessage>(
  accepted: Accepted<M>,
  ctx: VerifyContext,
): Promise<{ clock: ClockReading; accepted: Accepted<M> }> {
  const message = accepted.message;
  if (ctx.replayStore.has(message.requestId))
    refuse('replayed', `request id ${message.requestId} was already accepted`);
  const clock = { now: ctx.clock.now(), synced: await ctx.clock.isSynchronized() };
  const schedulable = ctx.schedulable === true && message.kind !== 'approval' && message.kind !== 'cancel';
  const windowOpens = checkFreshness(message, { ...ctx, schedulable }, clock);
  const opensAt =
    message.kind === 'cancel'
      ? undefined
      : checkSiteWindow(message, accepted, ctx.policy, clock, windowOpens, schedulable);
  return { clock, accepted: opensAt === undefined ? accepted : { ...accepted, opensAt } };
}

export function checkDigest(message: { digest: string }, computed: string): void {
  if (message.digest !== computed)
    refuse('digest-mismatch', `payload digest ${message.digest} does not match its change (${computed})`);
}

/** 1. A change request dmconfirm will issue itself and then confirm. */
export function verifyChangeRequest(bytes: SignedInput, ctx: VerifyContext): Promise<Verdict<ChangeRequest>> {
  return asVerdict(async () => {
    const verified = await verifySigned(bytes, TYP.request, ctx);
    const message = readMessage('change-request', verified);
    checkDigest(message, changeDigest(message.change));
    checkTarget(message, ctx);
    ctx.challenges?.check(message, ctx.router);
    const accepted = approvers(ctx, verified, message, requiredApprovals(ctx.trustRoot, { change: message.change }));
    checkChangePolicy(message.change, message.method, { ...ctx.router, policy: ctx.policy });
    const fresh = await readFresh(accepted, ctx);
    return settle(fresh.accepted, ctx, fresh.clock, verified.skEvidence);
  });
}

/** 2. Approval of a change someone else requested, bound to the agent's current challenge. */
export function verifyApproval(
  bytes: SignedInput,
  challenge: Challenge,
  ctx: VerifyContext,
): Promise<Verdict<Approval>> {
  return asVerdict(async () => {
    const verified = await verifySigned(bytes, TYP.approval, ctx);
    const message = readMessage('approval', verified);
    checkDigest(message, changeDigest(message.expect));
    checkTarget(message, ctx);
    ctx.challenges?.check(message, ctx.router);
    checkChallenge(message, challenge);
    const accepted = approvers(ctx, verified, message, requiredApprovals(ctx.trustRoot, { change: message.expect }));
    checkChangePolicy(message.expect, message.method, { ...ctx.router, policy: ctx.policy });
    const fresh = await readFresh(accepted, ctx);
    return settle(fresh.accepted, ctx, fresh.clock, verified.skEvidence);
  });
}

function checkChallenge(message: Approval, challenge: Challenge): void {
  const quoted = message.challenge;
  const same =
    quoted.challengeId === challenge.challengeId &&
    message.agent === challenge.agent &&
    message.router.serial === challenge.router.serial &&
    message.router.systemId === challenge.router.systemId &&
    quoted.observed.attemptCount === challenge.observed?.attemptCount &&
    quoted.observed.at === challenge.observed?.at;
  if (!same)
    refuse(
      'wrong-challenge',
      `the approval quotes challenge ${quoted.challengeId}, not the pending ${challenge.challengeId} as observed`,
    );
  if (quoted.nonce !== challenge.nonce)
    refuse('nonce-stale', `the approval's nonce is not the one of challenge ${challenge.challengeId}`);
}

/** 3. A plain power cycle of a hung router (or to reset attempt-count). */
export function verifyPowerCycle(bytes: SignedInput, ctx: VerifyContext): Promise<Verdict<PowerCycle>> {
  return asVerdict(async () => {
    const verified = await verifySigned(bytes, TYP.powerCycle, ctx);
    const message = readMessage('power-cycle', verified);
    const pending = message.acceptPending?.expect;
    if (pending) checkDigest({ digest: message.acceptPending?.digest ?? '' }, changeDigest(pending));
    checkTarget(message, ctx);
    ctx.challenges?.check(message, ctx.router);
    const need = requiredApprovals(ctx.trustRoot, { powerCycle: true });
    // Accepting a pending change is approving that change: its own rules and policy apply too.
    const needChange = pending ? requiredApprovals(ctx.trustRoot, { change: pending }) : need;
    const accepted = approvers(ctx, verified, message, needChange.required > need.required ? needChange : need);
    checkPowerCyclePolicy({ ...ctx.router, policy: ctx.policy });
    if (pending) checkChangePolicy(pending, 'power', { ...ctx.router, policy: ctx.policy });
    const fresh = await readFresh(accepted, ctx);
    return settle(fresh.accepted, ctx, fresh.clock, verified.skEvidence);
  });
}

/**
 * 4. A cancel of a scheduled order: approvers' threshold (the base one: it only stops
 * something), requester never counts, fresh by wall time or an order challenge. It takes
 * no rate budget; its own id is remembered when the scheduler applies it (commit).
 */
export function verifyCancel(bytes: SignedInput, ctx: VerifyContext): Promise<Verdict<Cancel>> {
  return asVerdict(async () => {
    const verified = await verifySigned(bytes, TYP.cancel, ctx);
    const message = readMessage('cancel', verified);
    checkTarget(message, ctx);
    ctx.challenges?.check(message, ctx.router);
    const base = ctx.trustRoot.threshold('approver');
    const accepted = approvers(ctx, verified, message, { required: base, because: [`approver threshold ${base}`] });
    const fresh = await readFresh(accepted, ctx);
    return settle(fresh.accepted, { ...ctx, rateLimiter: undefined }, fresh.clock, verified.skEvidence);
  });
}
