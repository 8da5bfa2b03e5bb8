/**
 * What an operator can see of the fleet, folded from retained status, router state and
 * challenge messages (the `fleetSubscriptions`). Pure: `dmconfirm status` feeds it
 * messages and renders the result; tests feed it payloads.
 */
import {
  parsePayload, parseTopic, statusSchema, routerStateSchema, challengeMessageSchema,
  type AgentStatus, type RouterStateMessage, type ChallengeMessage,
} from './contract.js';

export interface AgentView {
  site: string;
  agent: string;
  status: AgentStatus | undefined;
  routers: Map<string, RouterStateMessage>;
  challenges: Map<string, ChallengeMessage>;
}

export interface FleetView {
  agents: Map<string, AgentView>;
  /** Messages on our topics that did not parse: shown, never silently dropped. */
  problems: string[];
}

export function emptyFleet(): FleetView {
  return { agents: new Map(), problems: [] };
}

function agentOf(view: FleetView, site: string, agent: string): AgentView {
  const key = `${site}/${agent}`;
  let entry = view.agents.get(key);
  if (!entry) {
    entry = { site, agent, status: undefined, routers: new Map(), challenges: new Map() };
    view.agents.set(key, entry);
  }
  return entry;
}

/** Applies one message; returns false when the topic is not part of the overview. */
export function applyFleetMessage(view: FleetView, baseTopic: string, topic: string, payload: Uint8Array | string): boolean {
  const parsed = parseTopic(baseTopic, topic);
  if (!parsed || (parsed.kind !== 'status' && parsed.kind !== 'routerState' && parsed.kind !== 'challenge')) return false;
  const agent = agentOf(view, parsed.site, parsed.agent);
  const empty = (typeof payload === 'string' ? payload.length : payload.byteLength) === 0;
  try {
    switch (parsed.kind) {
      case 'status':
        agent.status = empty ? undefined : parsePayload(statusSchema, topic, payload);
        break;
      case 'routerState':
        if (empty) agent.routers.delete(parsed.router);
        else agent.routers.set(parsed.router, parsePayload(routerStateSchema, topic, payload));
        break;
      case 'challenge':
        // An empty retained payload is how the agent closes a challenge.
        if (empty) agent.challenges.delete(parsed.router);
        else agent.challenges.set(parsed.router, parsePayload(challengeMessageSchema, topic, payload));
        break;
    }
  } catch (error) {
    view.problems.push(`${topic}: ${(error as Error).message}`);
  }
  return true;
}

export interface FleetRow {
  agent: string;
  online: string;
  router: string;
  reachable: string;
  mode: string;
  attempts: string;
  flagged: string;
  operation: string;
  lastResult: string;
}

/** One row per router (or per agent with no router yet), in a stable order. */
export function fleetRows(view: FleetView): FleetRow[] {
  const rows: FleetRow[] = [];
  const dash = '-';
  for (const key of [...view.agents.keys()].sort()) {
    const a = view.agents.get(key)!;
    const online = a.status ? (a.status.state === 'online' ? 'online' : `offline (${a.status.reason})`) : '?';
    const routers = [...a.routers.keys()].sort();
    if (routers.length === 0) rows.push({ agent: key, online, router: dash, reachable: dash, mode: dash, attempts: dash, flagged: dash, operation: dash, lastResult: dash });
    for (const name of routers) {
      const r = a.routers.get(name)!;
      const challenged = a.challenges.has(name) ? ' (challenge open)' : '';
      rows.push({
        agent: key,
        online,
        router: name,
        reachable: r.reachable ? 'yes' : 'NO',
        mode: r.deviceMode?.mode ?? '?',
        attempts: r.attemptCount === null ? '?' : String(r.attemptCount),
        flagged: r.flagged === null ? '?' : r.flagged ? 'FLAGGED' : 'no',
        operation: r.operation ? `${r.operation.state} ${r.operation.kind} ${r.operation.id}${challenged}` : `idle${challenged}`,
        lastResult: r.lastResult ? `${r.lastResult.state} at ${r.lastResult.at}` : dash,
      });
    }
  }
  return rows;
}
