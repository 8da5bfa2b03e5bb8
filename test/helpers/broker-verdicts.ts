/**
 * The verdict half of the broker conformance probe (broker-conformance.ts): what each
 * observation must show for the MQTT contract (docs/fleets.md, "What the contract relies
 * on"). Pure functions, so that a missing feature is proven to fail a check without
 * needing a broker that lacks it.
 */

export type FeatureName =
  | 'qos1-routing'
  | 'retained'
  | 'will'
  | 'persistent-session'
  | 'message-expiry'
  | 'retain-as-published'
  | 'per-client-acl';

export interface Verdict {
  feature: FeatureName;
  status: 'pass' | 'fail' | 'skipped';
  /** What was observed, in words an operator can check against the broker's log. */
  evidence: string;
}

/** A QoS 1 publish on one node, seen on the other through `+` and `#` subscriptions. */
export interface RoutingObservation {
  viaPlus?: number;
  viaHash?: number;
}

/** A retained publish, a subscriber arriving later, then the retained value cleared with an empty payload. */
export interface RetainedObservation {
  late?: { payload: string; retain: boolean };
  afterClear?: string;
}

/** A client with a retained will whose connection dies without DISCONNECT. */
export interface WillObservation {
  live?: string;
  retainedLater?: string;
}

/** A persistent session left offline while QoS 1 messages were published, then resumed. */
export interface SessionObservation {
  requestedExpiry: number;
  /** The Session Expiry Interval the broker granted (CONNACK property; absent = as requested). */
  grantedExpiry?: number;
  sessionPresent: boolean;
  expected: string[];
  delivered: string[];
  /** Reason codes of DISCONNECTs the broker sent the resumed session. */
  serverDisconnects: number[];
}

/**
 * Messages with a short message expiry queued for an offline session between messages
 * without one; a retained one with the same expiry; and the same message to a live subscriber.
 */
export interface ExpiryObservation {
  /** What the resumed session received, in order, after the expiry had run out. */
  delivered: string[];
  /** The messages without an expiry, which must all arrive (so queueing itself works). */
  expected: string[];
  /** A retained message whose expiry ran out still reached a new subscriber. */
  retainedExpiredDelivered: boolean;
  sentExpiry: number;
  /** The Message Expiry Interval a live subscriber received with the message. */
  liveExpiry?: number;
}

/** A retained message published while subscribed, with and without Retain As Published. */
export interface RapObservation {
  withRap?: boolean;
  withoutRap?: boolean;
}

/** Two agents and an operator under the broker's per-client rules. */
export interface AclObservation {
  ownOrder: boolean;
  foreignOrder: boolean;
  ownStatus: boolean;
  foreignStatus: boolean;
  /** What the broker answered to the agent's subscription to its own orders (SUBACK code). */
  ownSubscribeCode: number;
  /** What the broker answered to the operator's subscription to every agent's status. */
  operatorSubscribeCode: number;
  /** What the broker answered to the agent's subscriptions to another agent's orders (SUBACK codes). */
  foreignSubscribeCodes: number[];
}

const hex = (code: number) => `0x${code.toString(16).padStart(2, '0')}`;

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const v = (feature: FeatureName, ok: boolean, evidence: string): Verdict => ({
  feature,
  status: ok ? 'pass' : 'fail',
  evidence,
});

export function judgeRouting(o: RoutingObservation): Verdict {
  const ok = o.viaPlus === 1 && o.viaHash === 1;
  const seen = (q?: number) => (q === undefined ? 'nothing' : `QoS ${q}`);
  return v('qos1-routing', ok, `via +: ${seen(o.viaPlus)}; via #: ${seen(o.viaHash)}`);
}

export function judgeRetained(o: RetainedObservation): Verdict {
  const ok = o.late?.retain === true && o.afterClear === undefined;
  const late = o.late ? `"${o.late.payload}" (retain ${o.late.retain})` : 'nothing';
  const cleared = o.afterClear === undefined ? 'nothing' : `"${o.afterClear}"`;
  return v('retained', ok, `a later subscriber got ${late}; after the empty retained publish: ${cleared}`);
}

export function judgeWill(o: WillObservation): Verdict {
  const ok = o.live !== undefined && o.retainedLater !== undefined;
  return v(
    'will',
    ok,
    `will to a live subscriber: ${o.live ?? 'nothing'}; retained for a later one: ${o.retainedLater ?? 'nothing'}`,
  );
}

export function judgeSession(o: SessionObservation): Verdict {
  const granted = o.grantedExpiry ?? o.requestedExpiry;
  const ok =
    granted >= o.requestedExpiry &&
    o.sessionPresent &&
    same(o.delivered, o.expected) &&
    o.serverDisconnects.length === 0;
  const dropped = o.serverDisconnects.map((c) => `; the broker sent DISCONNECT ${hex(c)}`).join('');
  return v(
    'persistent-session',
    ok,
    `session expiry asked ${o.requestedExpiry} s, granted ${granted} s; session present ${o.sessionPresent}; ` +
      `queued ${o.expected.length}, delivered [${o.delivered.join(', ')}]${dropped}`,
  );
}

export function judgeExpiry(o: ExpiryObservation): Verdict {
  const carried = o.liveExpiry !== undefined && o.liveExpiry > 0 && o.liveExpiry <= o.sentExpiry;
  const ok = same(o.delivered, o.expected) && !o.retainedExpiredDelivered && carried;
  return v(
    'message-expiry',
    ok,
    `after the expiry the resumed session got [${o.delivered.join(', ')}] ` +
      `(only [${o.expected.join(', ')}] may come); ` +
      `expired retained message delivered: ${o.retainedExpiredDelivered}; ` +
      `live subscriber got expiry ${o.liveExpiry ?? 'none'} (sent ${o.sentExpiry} s)`,
  );
}

export function judgeRap(o: RapObservation): Verdict {
  const flag = (f?: boolean) => (f === undefined ? 'nothing' : `retain ${f}`);
  return v(
    'retain-as-published',
    o.withRap === true,
    `retained publish to live subscribers: with RAP ${flag(o.withRap)}, without RAP ${flag(o.withoutRap)}`,
  );
}

export function judgeAcl(o: AclObservation): Verdict {
  const ok = o.ownOrder && o.ownStatus && !o.foreignOrder && !o.foreignStatus;
  return v(
    'per-client-acl',
    ok,
    `own order delivered ${o.ownOrder} (SUBACK ${hex(o.ownSubscribeCode)}), ` +
      `another agent's order delivered ${o.foreignOrder} (SUBACK ${o.foreignSubscribeCodes.map(hex).join(', ')}); ` +
      `own status published ${o.ownStatus}, another agent's status published ${o.foreignStatus} ` +
      `(operator's SUBACK ${hex(o.operatorSubscribeCode)})`,
  );
}

export function skipped(feature: FeatureName, why: string): Verdict {
  return { feature, status: 'skipped', evidence: why };
}

export function formatVerdicts(verdicts: Verdict[]): string {
  return verdicts.map((x) => `${x.status.toUpperCase().padEnd(7)} ${x.feature.padEnd(20)} ${x.evidence}`).join('\n');
}
