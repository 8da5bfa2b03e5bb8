/**
 * `dmconfirm status` in a terminal: a table that fits its width (80 columns unless the
 * terminal says otherwise) by merging columns, and long-offline agents listed apart.
 * `--wide` keeps every column of fleet.ts.
 */
import { age, agentStatusCell, span, challengeCell, deviceModeCell, lastResultCell, operationCell } from './fleet.js';
import type { AgentView, Fleet } from './fleet.js';

export const NARROW_COLUMNS = ['AGENT', 'STATUS', 'ROUTER', 'MODE', 'ATT', 'NOW'] as const;
type NarrowRow = Record<(typeof NARROW_COLUMNS)[number], string>;

/** One line per router with the columns merged: site/agent, and what is happening now. */
function narrowRows(views: AgentView[], now: number): NarrowRow[] {
  return views.flatMap((view) => {
    const common = {
      AGENT: `${view.site}/${view.agent}`,
      STATUS: agentStatusCell(view.status, now).replace('(connection-lost)', '(lost)'),
    };
    const routers = Object.values(view.routers).sort((a, b) => a.router.localeCompare(b.router));
    if (routers.length === 0) return [{ ...common, ROUTER: '-', MODE: '', ATT: '', NOW: '' }];
    return routers.map((r) => {
      const unreachable = r.state?.reachable === false ? 'UNREACHABLE; ' : '';
      const activity = r.state?.operation
        ? operationCell(r.state, now)
        : r.challenge
          ? `challenge ${narrowChallenge(challengeCell(r.challenge, now, r.challengeSeen), r.challenge.operationId)}`
          : lastResultCell(r.state, now);
      return {
        ...common,
        ROUTER: r.router,
        MODE: `${deviceModeCell(r.state)}${r.state?.flagged ? ' FLAGGED' : ''}`,
        ATT: r.state?.attemptCount != null ? String(r.state.attemptCount) : '?',
        NOW: `${unreachable}${activity}`,
      };
    });
  });
}

const clip = (text: string, width: number) =>
  text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;

/** The narrow table within `width` columns: the last column gives way first, then the others. */
export function fitTable(rows: NarrowRow[], width: number): string[] {
  const cols = [...NARROW_COLUMNS];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (cols.length - 1);
  // Shrink the widest column (never below its header) until the table fits.
  while (total() > width) {
    const i = widths.indexOf(Math.max(...widths));
    if (widths[i]! <= cols[i]!.length + 1) break;
    widths[i]! -= 1;
  }
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => clip(cell, widths[i]!).padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => r[c])))];
}

export interface FitOptions {
  width: number;
  /** Agents offline longer than this are listed apart, one short line each. */
  offlineAfterMs: number;
}

export function isLongOffline(view: AgentView, now: number, offlineAfterMs: number): boolean {
  if (view.status?.state !== 'offline') return false;
  const since = Date.parse(view.status.at);
  return !Number.isNaN(since) && now - since > offlineAfterMs;
}

/** The text of a narrow look: current agents in a table fitting `width`, long-offline ones below. */
export function renderNarrow(fleet: Fleet, now: number, o: FitOptions): string {
  const views = Object.values(fleet.agents).sort((a, b) =>
    `${a.site}/${a.agent}`.localeCompare(`${b.site}/${b.agent}`),
  );
  const current = views.filter((v) => !isLongOffline(v, now, o.offlineAfterMs));
  const gone = views.filter((v) => isLongOffline(v, now, o.offlineAfterMs));
  const lines = current.length > 0 ? fitTable(narrowRows(current, now), o.width) : ['(no agents seen)'];
  if (gone.length > 0) {
    lines.push(
      '',
      clip(`offline for longer than ${span(o.offlineAfterMs)} (dmconfirm forget --agent ID clears one):`, o.width),
    );
    for (const v of gone)
      lines.push(clip(`  ${v.site}/${v.agent}  offline ${age(v.status!.at, now)} (${v.status!.reason})`, o.width));
  }
  return lines.join('\n');
}

/** "open op-7, up to 4m left" as "up to 4m": the time is what must fit. */
function narrowChallenge(cell: string, id: string): string {
  return cell.replace(`open ${id}, `, '').replace(` ${id}`, '').replace(' left', '');
}
