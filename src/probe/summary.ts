import { BEHAVIOUR_NAMES, defaultBehaviour, type BehaviourName } from '../sim/behaviour.js';
import type { ProbeReport } from './report.js';

/** What each behaviour, where it differs from the simulator's default, means for the agent. */
const MEANING: Record<BehaviourName, string> = {
  progressWhilePending:
    'the update command streams !re progress while pending; the agent reads a pending update ' +
    'by its missing answer, not by its rows, so progress changes nothing for it',
  stallOthersWhilePending:
    "other sessions stall while an update is pending; the agent's `stalled` handling applies " +
    '(a print that does not answer during its own operation is read as "pending", never as "router gone")',
  abandonedUpdate:
    '/cancel or a closed connection decides whether the pending change survives; the agent keeps its ' +
    'update connection open until the press or cut, and never relies on a dropped connection to cancel',
  attemptCountRises:
    "attempt-count moves at a different moment than the simulator assumes; the agent's check " +
    'before acting (attempt-count raised by its own request) must use the value read after the request ends',
  emptyReplies: "`!empty` replies differ from the version rule (7.18+); the agent's client accepts both",
  rebootReply: '/system/reboot answers differently; the agent never reboots a router over the API',
};

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The human summary: differences from the simulator's defaults for this version, and what they mean. */
export function summarise(report: Omit<ProbeReport, 'summary'>): string[] {
  const defaults = defaultBehaviour(report.router.routerosVersion);
  const lines: string[] = [];
  for (const name of BEHAVIOUR_NAMES) {
    const f = report.behaviours[name];
    if (f.status !== 'observed' || f.value === defaults[name]) continue;
    lines.push(`${name}: ${shown(f.value)} (simulator default ${shown(defaults[name])}): ${MEANING[name]}.`);
  }
  if (report.protocol.tagPlacement !== 'after-reply-word') {
    lines.push(
      `tags come ${report.protocol.tagPlacement}, not right after the reply word: dmconfirm's client reads ` +
        'them anywhere, but some third-party clients lose replies.',
    );
  }
  for (const [check, ok] of Object.entries({
    getall: report.protocol.getall,
    'count-only': report.protocol.countOnly,
    ...report.protocol.queries,
  })) {
    if (!ok) lines.push(`${check} did not behave as the API manual says (see evidence); the agent does not use it.`);
  }
  if (report.protocol.longWord !== 'answered')
    lines.push(`a 20 kB word was answered with ${report.protocol.longWord}.`);
  const unobserved = BEHAVIOUR_NAMES.filter((n) => report.behaviours[n].status === 'unobserved');
  if (lines.length === 0) lines.push("everything observed matches the simulator's defaults for this version.");
  if (unobserved.length > 0)
    lines.push(`not observed (the simulator's default stays a belief): ${unobserved.join(', ')}.`);
  return lines;
}
