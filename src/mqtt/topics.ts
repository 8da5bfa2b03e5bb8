/**
 * The MQTT topic tree, built and parsed in one place. Everything an agent publishes or
 * reads lives under `<base>/<site>/<agent>/`:
 *
 *   status                          retained  online/offline (last will = offline)
 *   routers/<router>/state          retained  device-mode, attempt-count, operation, last result
 *   routers/<router>/challenge      retained while open, cleared (empty payload) when closed
 *   events                          stream    progress, alarms, security events
 *   progress/<requestId>            stream    answers to one request, correlated by its id
 *   audit/checkpoint                retained  latest signed audit checkpoint
 *   routers/<router>/order-challenge retained  the open challenge any order for that router may quote
 *   scheduled                       retained  orders waiting for their maintenance window
 *   request | approval | powercycle | release inbound   signed orders; never retained
 *   cancel                          inbound   signed cancel of a scheduled order; never retained
 *   challenge-request               inbound   unsigned, rate-limited: "publish a fresh order challenge"
 *
 * and, outside any agent's tree, the rollout coordinator's retained status (rollout-status.ts):
 *
 *   <base>/rollouts/<campaignId>/summary | targets/<page>
 */

export const DEFAULT_BASE_TOPIC = 'dmconfirm/v1';

/** What may stand in one topic level we build from outside input (no /, +, #, NUL). */
const LEVEL = /^[A-Za-z0-9_.:-]{1,128}$/;

export class TopicError extends Error {
  constructor(
    message: string,
    /** What the bad value is ('base topic', 'site', 'agent id', ...), for callers that name it their way. */
    readonly what?: string,
    readonly value?: string,
  ) {
    super(message);
    this.name = 'TopicError';
  }
}

/** Rejects values that would change the shape of a topic (wildcards, separators). */
export function topicLevel(value: string, what: string): string {
  if (!LEVEL.test(value)) throw new TopicError(`${what} "${value}" cannot be an MQTT topic level`, what, value);
  return value;
}

function trimBase(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  if (trimmed.length === 0 || /[+#\0]/.test(trimmed))
    throw new TopicError(`base topic "${base}" is not a valid topic prefix`, 'base topic', base);
  return trimmed;
}

/** `release`: a campaign order (campaign, this target's inclusion proof, a release), issue 12. */
export const INBOUND_KINDS = ['request', 'approval', 'powercycle', 'cancel', 'release'] as const;
export type InboundKind = (typeof INBOUND_KINDS)[number];

/** Every topic of one agent. */
export interface AgentTopics {
  readonly root: string;
  readonly status: string;
  readonly events: string;
  readonly checkpoint: string;
  readonly request: string;
  readonly approval: string;
  readonly powercycle: string;
  readonly cancel: string;
  /** Retained: orders waiting for their window (see contract.ts scheduledMessageSchema). */
  readonly scheduled: string;
  readonly release: string;
  /** Unsigned requests for a fresh order challenge (see contract.ts challengeRequestSchema). */
  readonly challengeRequest: string;
  /** The subscriptions an agent makes: its inbound command topics, nothing else. */
  readonly inbound: readonly string[];
  routerState(router: string): string;
  challenge(router: string): string;
  orderChallenge(router: string): string;
  progress(requestId: string): string;
}

export function agentTopics(base: string, site: string, agent: string): AgentTopics {
  const root = `${trimBase(base)}/${topicLevel(site, 'site')}/${topicLevel(agent, 'agent id')}`;
  return {
    root,
    status: `${root}/status`,
    events: `${root}/events`,
    checkpoint: `${root}/audit/checkpoint`,
    request: `${root}/request`,
    approval: `${root}/approval`,
    powercycle: `${root}/powercycle`,
    cancel: `${root}/cancel`,
    scheduled: `${root}/scheduled`,
    release: `${root}/release`,
    challengeRequest: `${root}/challenge-request`,
    inbound: [...INBOUND_KINDS.map((kind) => `${root}/${kind}`), `${root}/challenge-request`],
    routerState: (router) => `${root}/routers/${topicLevel(router, 'router name')}/state`,
    challenge: (router) => `${root}/routers/${topicLevel(router, 'router name')}/challenge`,
    orderChallenge: (router) => `${root}/routers/${topicLevel(router, 'router name')}/order-challenge`,
    progress: (requestId) => `${root}/progress/${topicLevel(requestId, 'request id')}`,
  };
}

/** The retained status of one rollout campaign (see rollout-status.ts); `campaignId` '+' for every campaign. */
export function rolloutTopics(base: string, campaignId: string) {
  const root = `${trimBase(base)}/rollouts/${campaignId === '+' ? '+' : topicLevel(campaignId, 'campaign id')}`;
  return {
    summary: `${root}/summary`,
    page: (page: number) => `${root}/targets/${page}`,
    pages: `${root}/targets/+`,
  };
}

/** Subscriptions for an operator's overview (`dmconfirm status`) of every agent under `base`. */
export function fleetSubscriptions(base: string): string[] {
  const b = trimBase(base);
  return [`${b}/+/+/status`, `${b}/+/+/routers/+/state`, `${b}/+/+/routers/+/challenge`, `${b}/+/+/scheduled`];
}

/** Subscriptions for following one agent's event stream and checkpoints. */
export function agentWatchSubscriptions(topics: AgentTopics): string[] {
  return [
    topics.status,
    `${topics.root}/routers/+/state`,
    `${topics.root}/routers/+/challenge`,
    topics.events,
    topics.checkpoint,
  ];
}

export type ParsedTopic =
  | {
      kind: 'status' | 'events' | 'checkpoint' | 'challengeRequest' | 'scheduled' | InboundKind;
      site: string;
      agent: string;
    }
  | { kind: 'routerState' | 'challenge' | 'orderChallenge'; site: string; agent: string; router: string }
  | { kind: 'progress'; site: string; agent: string; requestId: string };

/** Reads a topic received through a wildcard subscription; undefined if it is not ours. */
export function parseTopic(base: string, topic: string): ParsedTopic | undefined {
  const prefix = `${trimBase(base)}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const parts = topic.slice(prefix.length).split('/');
  const [site, agent, first, second, third] = parts;
  if (site === undefined || agent === undefined || first === undefined) return undefined;
  if (!LEVEL.test(site) || !LEVEL.test(agent)) return undefined;
  if (parts.length === 3) {
    if (first === 'status' || first === 'events' || first === 'scheduled') return { kind: first, site, agent };
    if (first === 'challenge-request') return { kind: 'challengeRequest', site, agent };
    if ((INBOUND_KINDS as readonly string[]).includes(first)) return { kind: first as InboundKind, site, agent };
    return undefined;
  }
  if (parts.length === 4 && second !== undefined) {
    if (first === 'audit' && second === 'checkpoint') return { kind: 'checkpoint', site, agent };
    if (first === 'progress' && LEVEL.test(second)) return { kind: 'progress', site, agent, requestId: second };
    return undefined;
  }
  if (parts.length === 5 && first === 'routers' && second !== undefined && LEVEL.test(second)) {
    if (third === 'state') return { kind: 'routerState', site, agent, router: second };
    if (third === 'challenge') return { kind: 'challenge', site, agent, router: second };
    if (third === 'order-challenge') return { kind: 'orderChallenge', site, agent, router: second };
  }
  return undefined;
}
