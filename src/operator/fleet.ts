/**
 * The operator's picture of the fleet, folded from the agents' retained messages (status,
 * router state, open challenges), and its rendering as table rows. Pure: the status
 * runner feeds messages and a clock in.
 */
import { challengeMessageSchema, parsePayload, parseTopic, routerStateSchema, statusSchema } from '../mqtt/contract.js';
import type { AgentStatus, ChallengeMessage, RouterStateMessage } from '../mqtt/contract.js';
import { readScheduled, type ScheduledOrders } from './scheduled-view.js';

export interface RouterView {
  router: string;
  state?: RouterStateMessage;
  challenge?: ChallengeMessage;
  /** When the challenge arrived, on the reader's clock; `stored`: it may have waited at the broker. */
  challengeSeen?: Seen;
}

export interface Seen {
  at: number;
  stored: boolean;
}

export interface AgentView {
  site: string;
  agent: string;
  status?: AgentStatus;
  routers: Record<string, RouterView>;
  /** Orders waiting for their maintenance window (the retained `scheduled` topic). */
  scheduled?: ScheduledOrders;
}

export interface Fleet {
  /** Keyed by `site/agent`. */
  agents: Record<string, AgentView>;
  /** Messages under our base that did not match the contract, by topic. */
  malformed: Record<string, string>;
}

export function emptyFleet(): Fleet {
  return { agents: {}, malformed: {} };
}

export interface FleetMessage {
  topic: string;
  payload: Buffer | string;
  /** When it arrived (the reader's clock), and whether it may have waited at the broker (retained). */
  seen?: Seen;
}

/**
 * One retained (or live) message into the model. An empty payload clears what the topic
 * held (that is how the agent closes a challenge). Messages that break the contract are
 * kept aside by topic, never in the model.
 */
export function foldFleet(fleet: Fleet, base: string, message: FleetMessage): Fleet {
  const where = parseTopic(base, message.topic);
  if (!where || !['status', 'routerState', 'challenge', 'scheduled'].includes(where.kind) || !('agent' in where))
    return fleet;
  const key = `${where.site}/${where.agent}`;
  const agent: AgentView = fleet.agents[key] ?? { site: where.site, agent: where.agent, routers: {} };
  const empty = message.payload.length === 0;
  const { [message.topic]: _wasMalformed, ...malformed } = fleet.malformed;
  let next: AgentView;
  try {
    if (where.kind === 'status') {
      const { status: _old, ...rest } = agent;
      next = empty ? rest : { ...agent, status: parsePayload(statusSchema, message.topic, message.payload) };
    } else if (where.kind === 'scheduled') {
      next = { ...agent, scheduled: readScheduled(message.topic, message.payload) };
    } else if (where.kind === 'routerState' || where.kind === 'challenge') {
      const router: RouterView = agent.routers[where.router] ?? { router: where.router };
      const field = where.kind === 'routerState' ? 'state' : 'challenge';
      const { [field]: _old, ...rest } = router;
      const value = empty
        ? undefined
        : parsePayload(
            where.kind === 'routerState' ? routerStateSchema : challengeMessageSchema,
            message.topic,
            message.payload,
          );
      let updated: RouterView = value === undefined ? rest : { ...rest, [field]: value };
      if (field === 'challenge') {
        const { challengeSeen: _seen, ...others } = updated;
        updated = value !== undefined && message.seen ? { ...others, challengeSeen: message.seen } : others;
      }
      const routers = { ...agent.routers, [where.router]: updated };
      if (updated.state === undefined && updated.challenge === undefined) delete routers[where.router];
      next = { ...agent, routers };
    } else {
      return fleet;
    }
  } catch (error) {
    return {
      ...fleet,
      malformed: { ...malformed, [message.topic]: error instanceof Error ? error.message : String(error) },
    };
  }
  const agents = { ...fleet.agents, [key]: next };
  if (next.status === undefined && Object.keys(next.routers).length === 0) delete agents[key];
  return { agents, malformed };
}

export const COLUMNS = [
  'SITE',
  'AGENT',
  'AGENT STATUS',
  'ROUTER',
  'REACHABLE',
  'MODE',
  'ATTEMPTS',
  'FLAGGED',
  'OPERATION',
  'LAST RESULT',
  'CHALLENGE',
] as const;
export type Column = (typeof COLUMNS)[number];
export type Row = Record<Column, string>;

/** "12s", "5m", "3h", "2d"; an unparseable or future time (agent clock off) shows "?". */
export function age(at: string, now: number): string {
  const ms = now - Date.parse(at);
  if (Number.isNaN(ms)) return '?';
  if (ms < -60_000) return '?';
  return span(ms);
}

/** A coarse length of time for a table cell. */
export function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const yesNo = (value: boolean | null | undefined) => (value === true ? 'yes' : value === false ? 'no' : '?');

/**
 * "online 2h", "offline 10m (connection-lost)". A last will carries the time the agent
 * connected: for it, the age counts from `seenAt` (lastSeen) when that is later.
 */
export function agentStatusCell(status: AgentStatus | undefined, now: number, seenAt?: string): string {
  if (!status) return '?';
  const lost = status.state === 'offline' && status.reason === 'connection-lost';
  const from = lost && seenAt !== undefined && Date.parse(seenAt) > Date.parse(status.at) ? seenAt : status.at;
  const since = `${status.state} ${age(from, now)}`;
  return status.state === 'offline' && status.reason !== 'stopped' ? `${since} (${status.reason})` : since;
}

export function deviceModeCell(state: RouterStateMessage | undefined): string {
  const mode = state?.deviceMode;
  if (!mode) return '?';
  const on = Object.entries(mode.features)
    .filter(([, enabled]) => enabled)
    .map(([name]) => name);
  return on.length > 0 && on.length <= 3 ? `${mode.mode} (${on.join(',')})` : mode.mode;
}

export function operationCell(state: RouterStateMessage | undefined, now: number): string {
  const op = state?.operation;
  if (!op) return '-';
  return `${op.kind} ${op.state} ${age(op.since, now)}`;
}

export function lastResultCell(state: RouterStateMessage | undefined, now: number): string {
  const last = state?.lastResult;
  if (!last) return '-';
  return `${last.state} ${age(last.at, now)} ago${last.detail ? `: ${last.detail}` : ''}`;
}

/**
 * "open op-7, 4m left". Time left is the agent's `expiresInMs` (its monotonic clock when it
 * published) counted down from when the message arrived here: no wall clock plays a part. A
 * retained challenge may have waited at the broker, so then it is at most that ("up to").
 * Without `expiresInMs` (an older agent) or an arrival time, the agent's wall-clock
 * `expiresAt` is all there is, and the cell says so ("agent clock").
 */
export function challengeCell(challenge: ChallengeMessage | undefined, now: number, seen?: Seen): string {
  if (!challenge) return '-';
  const id = challenge.operationId;
  // endAssumed: the router ends someone else's change at a timeout the agent cannot see.
  let upTo = challenge.endAssumed === true;
  let left: number;
  let note = '';
  if (challenge.expiresInMs !== undefined && seen !== undefined) {
    left = challenge.expiresInMs - (now - seen.at);
    if (seen.stored) upTo = true;
  } else if (challenge.expiresAt !== undefined) {
    left = Date.parse(challenge.expiresAt) - now;
    if (Number.isNaN(left)) return `open ${id}`;
    note = ' (agent clock)';
  } else {
    return `open ${id}`;
  }
  return left <= 0 ? `expired ${id}${note}` : `open ${id}, ${upTo ? 'up to ' : ''}${span(left)} left${note}`;
}

/**
 * When the agent was last heard from: its newest router state or status. The agent publishes
 * both again every heartbeat, while its last will carries only the time it connected.
 */
export function lastSeen(view: AgentView): string | undefined {
  const times = [
    view.status?.state === 'online' ? view.status.at : undefined,
    ...Object.values(view.routers).map((r) => r.state?.at),
  ];
  return times.filter((t): t is string => t !== undefined).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
}

/** One row per router, or one row for an agent that reported no router yet; sorted. */
export function fleetRows(fleet: Fleet, now: number): Row[] {
  const rows: Row[] = [];
  for (const view of Object.values(fleet.agents).sort((a, b) =>
    `${a.site}/${a.agent}`.localeCompare(`${b.site}/${b.agent}`),
  )) {
    // An offline agent vouches for nothing: its routers' last state is history, not reachability.
    const offline = view.status?.state === 'offline';
    const common = {
      SITE: view.site,
      AGENT: view.agent,
      'AGENT STATUS': agentStatusCell(view.status, now, lastSeen(view)),
    };
    const routers = Object.values(view.routers).sort((a, b) => a.router.localeCompare(b.router));
    if (routers.length === 0) {
      rows.push({
        ...common,
        ROUTER: '-',
        REACHABLE: '',
        MODE: '',
        ATTEMPTS: '',
        FLAGGED: '',
        OPERATION: '',
        'LAST RESULT': '',
        CHALLENGE: '',
      });
    }
    for (const r of routers) {
      rows.push({
        ...common,
        ROUTER: r.router,
        REACHABLE: r.state && !offline ? yesNo(r.state.reachable) : '?',
        MODE: deviceModeCell(r.state),
        ATTEMPTS: r.state?.attemptCount != null ? String(r.state.attemptCount) : '?',
        FLAGGED: yesNo(r.state?.flagged),
        OPERATION: operationCell(r.state, now),
        'LAST RESULT': lastResultCell(r.state, now),
        CHALLENGE: challengeCell(r.challenge, now, r.challengeSeen),
      });
    }
  }
  return rows;
}

/** Left-aligned columns, two spaces apart, header first; no trailing blanks. */
export function renderTable(rows: Row[], columns: readonly Column[] = COLUMNS): string[] {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line([...columns]), ...rows.map((r) => line(columns.map((c) => r[c])))];
}

/** The model for `--json`: the contract's own messages, grouped by agent and router. */
export function fleetJson(fleet: Fleet): unknown {
  return {
    agents: Object.values(fleet.agents)
      .sort((a, b) => `${a.site}/${a.agent}`.localeCompare(`${b.site}/${b.agent}`))
      .map((a) => ({
        site: a.site,
        agent: a.agent,
        status: a.status ?? null,
        ...(a.scheduled ? { scheduled: a.scheduled } : {}),
        routers: Object.values(a.routers)
          .sort((x, y) => x.router.localeCompare(y.router))
          .map((r) => ({ router: r.router, state: r.state ?? null, challenge: r.challenge ?? null })),
      })),
    malformed: fleet.malformed,
  };
}

/**
 * When the first look is complete: retained messages come right after the SUBACK, so once
 * none has arrived for `quietMs` (or `maxMs` passed) we have what the broker holds.
 */
export function settled(
  subscribedAt: number,
  lastMessageAt: number | undefined,
  now: number,
  quietMs: number,
  maxMs: number,
): boolean {
  if (now - subscribedAt >= maxMs) return true;
  return now - Math.max(subscribedAt, lastMessageAt ?? 0) >= quietMs;
}
