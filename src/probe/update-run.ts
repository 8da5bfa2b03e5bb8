import { parseAttributes } from '../routeros/wire.js';
import type { Findings } from './report.js';
import { ProbeError, type WireSession } from './wire-session.js';

/** The update's activation timeout: the shortest RouterOS allows. */
export const ACTIVATION_TIMEOUT_S = 10;

/**
 * When things happen in the update run, in ms at scale 1 (TEST ONLY: `scale` shrinks them
 * for a simulator running on a faster clock).
 */
export const UPDATE_TIMING = {
  /** The other sessions ask this long after the request. */
  askAfterMs: 300,
  /** An answer later than this (after the question) is a stall. */
  stallAfterMs: 2000,
  /** `/cancel` is sent this long after the request (progress has had time to come). */
  cancelAfterMs: 4000,
  /** How close to the `/cancel` an effect must be to be its effect. */
  effectWithinMs: 2500,
  /** Attempt-count polling period. */
  pollMs: 250,
  /** After the activation timeout, how long to keep watching. */
  graceMs: 3000,
} as const;

export interface UpdateObservation {
  findings: Pick<
    Findings,
    'progressWhilePending' | 'stallOthersWhilePending' | 'abandonedUpdate' | 'attemptCountRises'
  >;
  attemptCountAfter: number;
  traps: Record<string, string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const attemptOf = (words: string[] | undefined) => Number(parseAttributes(words ?? [])['attempt-count'] ?? 'NaN');

/**
 * One update that asks for what is already set (`flagging-enabled` at its current value: even a
 * stray press during the run would change nothing; `mode=` would drop feature overrides) with the
 * shortest activation timeout; `/cancel` halfway. Session a requests it and also asks
 * device-mode on the side; session b asks from outside. Never presses, cuts or confirms.
 */
export async function observeUpdate(
  a: WireSession,
  b: WireSession,
  noChange: string,
  before: number,
  scale = 1,
): Promise<UpdateObservation> {
  const t = (ms: number) => ms * scale;
  const at = (since: number) => Date.now() - since;
  const timeoutMs = t(ACTIVATION_TIMEOUT_S * 1000);
  const start = Date.now();
  const update = a.send(['/system/device-mode/update', noChange, `=activation-timeout=${ACTIVATION_TIMEOUT_S}s`]);
  await sleep(t(UPDATE_TIMING.askAfterMs));
  if (a.finished(update)) {
    const trap = a
      .repliesTo(update)
      .map((r) => parseAttributes(r.words).message)
      .find(Boolean);
    throw new ProbeError(`the update ended at once${trap ? `: ${trap}` : ''}; nothing to observe`);
  }
  const ownAsk = a.send(['/system/device-mode/print']);
  const otherAsk = b.send(['/system/device-mode/print']);
  await sleep(t(UPDATE_TIMING.cancelAfterMs) - at(start));
  const stalled = !b.finished(otherAsk);
  const progress = a.repliesTo(update).some((r) => r.words[0] === '!re');
  const rowOf = (s: WireSession, tag: string) => s.repliesTo(tag).find((r) => r.words[0] === '!re')?.words;
  const during = a.finished(ownAsk)
    ? attemptOf(rowOf(a, ownAsk))
    : !stalled
      ? attemptOf(rowOf(b, otherAsk))
      : undefined;

  const canceledAt = Date.now();
  const cancel = a.send(['/cancel', `=tag=${update}`]);
  await a.settle(cancel, t(5000));
  // Watch what follows: the stalled question answering, or attempt-count moving.
  let released: number | undefined;
  let rose: number | undefined;
  let last = during ?? before;
  let poll: string | undefined;
  while (at(start) < timeoutMs + t(UPDATE_TIMING.graceMs)) {
    if (b.finished(otherAsk)) {
      released ??= at(canceledAt);
      const n = poll === undefined ? last : b.finished(poll) ? attemptOf(rowOf(b, poll)) : last;
      if (n > last) rose ??= at(canceledAt);
      if (!Number.isNaN(n)) last = n;
      if (poll === undefined || b.finished(poll)) poll = b.send(['/system/device-mode/print']);
    }
    await sleep(t(UPDATE_TIMING.pollMs));
  }

  const traps: Record<string, string> = {};
  for (const r of a.repliesTo(update)) {
    if (r.words[0] !== '!trap') continue;
    const f = parseAttributes(r.words);
    traps.canceledUpdate = `${f.message ?? ''}${f.category ? ` (category ${f.category})` : ''}`;
  }
  const stall = {
    status: 'observed' as const,
    value: stalled,
    because: stalled
      ? "a second session's print got no answer while the update was pending"
      : "a second session's print was answered while the update was pending",
  };
  let rise: UpdateObservation['findings']['attemptCountRises'];
  if (during === undefined || Number.isNaN(during)) {
    rise = { status: 'unobserved', because: 'no session could read attempt-count while the update was pending' };
  } else {
    rise =
      during > before
        ? {
            status: 'observed',
            value: 'at-request',
            because: 'attempt-count had already risen while the update was pending',
          }
        : { status: 'observed', value: 'at-end', because: 'attempt-count had not risen while the update was pending' };
  }
  const atEnd = rise.status === 'observed' && rise.value === 'at-end';
  const endSignal = stalled ? released : atEnd ? rose : undefined;
  const signal = stalled ? 'the stalled session answered' : 'attempt-count rose';
  let abandoned: UpdateObservation['findings']['abandonedUpdate'];
  if (!stalled && !atEnd) {
    abandoned = {
      status: 'unobserved',
      because: 'nothing visible ends with a pending update here (no stall, attempt-count rises at the request)',
    };
  } else if (endSignal === undefined) {
    abandoned = {
      status: 'unobserved',
      because: "the pending update's end was not seen before the probe stopped watching",
    };
  } else if (endSignal <= t(UPDATE_TIMING.effectWithinMs)) {
    abandoned = { status: 'observed', value: 'cancels', because: `right after /cancel ${signal}` };
  } else {
    abandoned = {
      status: 'observed',
      value: 'stays-pending',
      because: `${signal} only at the activation timeout, not at /cancel`,
    };
  }
  const after = await b.call(['/system/device-mode/print'], t(10_000)).catch(() => undefined);
  return {
    findings: {
      progressWhilePending: {
        status: 'observed',
        value: progress,
        because: progress
          ? 'the update command sent !re while pending'
          : 'no !re came from the update command before /cancel',
      },
      stallOthersWhilePending: stall,
      attemptCountRises: rise,
      abandonedUpdate: abandoned,
    },
    attemptCountAfter: attemptOf(after?.find((s) => s[0] === '!re')),
    traps,
  };
}
