/**
 * `dmconfirm status`: the runner that subscribes to the fleet's retained topics, lets the
 * first burst settle, and prints (or, watching, redraws) the table. Model and rendering
 * are pure (fleet.ts).
 */
import { scheduledLines } from './scheduled-view.js';
import { fleetSubscriptions } from '../mqtt/contract.js';
import type { MqttLinkSettings } from '../mqtt/connection.js';
import { connectOperator } from './broker.js';
import { emptyFleet, fleetJson, fleetRows, foldFleet, renderTable, settled } from './fleet.js';
import type { Fleet } from './fleet.js';
import { clockTime, EXIT } from './progress.js';
import type { ExitCode } from './progress.js';
import type { Output } from './terminal.js';
import { renderNarrow } from './fleet-fit.js';

export interface StatusOptions {
  base: string;
  json: boolean;
  watch: boolean;
  connectTimeoutMs: number;
  /** The first look is complete when no retained message came for this long... */
  quietMs: number;
  /** ...or after this long in any case. */
  maxSettleMs: number;
  out: Output;
  err: Output;
  /** Watching ends when this resolves (Ctrl-C in the CLI). */
  until?: Promise<unknown>;
  layout?: Layout;
}

export interface StatusResult {
  code: ExitCode;
  message?: string;
  fleet: Fleet;
}

/** How a table look is laid out: every column (`--wide`), or fitted to a width. */
export interface Layout {
  wide: boolean;
  width: number;
  offlineAfterMs: number;
}

export const DEFAULT_LAYOUT: Layout = { wide: true, width: 80, offlineAfterMs: Number.POSITIVE_INFINITY };

/** The text of one look at the fleet: a table, or the JSON model. */
export function renderFleet(fleet: Fleet, now: number, json: boolean, layout: Layout = DEFAULT_LAYOUT): string {
  if (json) return JSON.stringify(fleetJson(fleet));
  const waiting = scheduledLines(Object.values(fleet.agents), now);
  if (!layout.wide) return [renderNarrow(fleet, now, layout), ...waiting].join('\n');
  const rows = fleetRows(fleet, now);
  return rows.length === 0 ? '(no agents seen)' : [...renderTable(rows), ...waiting].join('\n');
}

export async function showStatus(settings: MqttLinkSettings, o: StatusOptions): Promise<StatusResult> {
  let fleet = emptyFleet();
  let lastMessageAt: number | undefined;
  const topics = new Set<string>();
  let onChange: () => void = () => undefined;
  let firstLookDone = false;
  const subscriptions = fleetSubscriptions(o.base);
  let link;
  try {
    link = await connectOperator(settings, {
      subscriptions,
      timeoutMs: o.connectTimeoutMs,
      onMessage: ({ topic, payload, retain }) => {
        // A retained message in the first burst was stored at the broker, for how long is unknown.
        const seen = { at: Date.now(), stored: retain && !firstLookDone };
        fleet = foldFleet(fleet, o.base, { topic, payload, seen });
        // The retained burst is one message per topic; a big fleet's heartbeats (known topics
        // again) never go quiet and must not hold the first look open until maxSettleMs.
        if (!topics.has(topic)) lastMessageAt = Date.now();
        topics.add(topic);
        onChange();
      },
    });
  } catch (error) {
    return { code: EXIT.unreachable, message: error instanceof Error ? error.message : String(error), fleet };
  }
  try {
    const subscribedAt = Date.now();
    while (!settled(subscribedAt, lastMessageAt, Date.now(), o.quietMs, o.maxSettleMs))
      await sleep(Math.min(50, o.quietMs));
    firstLookDone = true;
    reportMalformed(fleet, o.err);
    if (!o.watch) {
      o.out.write(`${renderFleet(fleet, Date.now(), o.json, o.layout)}\n`);
      return Object.keys(fleet.agents).length === 0
        ? { code: EXIT.timeout, message: `no agent has published under ${o.base}/`, fleet }
        : { code: EXIT.done, fleet };
    }
    await watch(
      o,
      () => fleet,
      (redraw) => (onChange = redraw),
    );
    return { code: EXIT.done, fleet };
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
}

/** Redraws on every change (and, on a TTY, every few seconds so ages stay true). */
async function watch(o: StatusOptions, current: () => Fleet, setOnChange: (redraw: () => void) => void): Promise<void> {
  const tty = o.out.isTTY === true;
  const draw = () => {
    const now = Date.now();
    const text = renderFleet(current(), now, o.json, o.layout);
    if (o.json) o.out.write(`${text}\n`);
    else if (tty) o.out.write(`\x1b[H\x1b[2J${clockTime(now)}  ${o.base}/  (Ctrl-C to stop)\n\n${text}\n`);
    else o.out.write(`--- ${clockTime(now)}\n${text}\n`);
  };
  draw();
  setOnChange(draw);
  const ticker = tty && !o.json ? setInterval(draw, 5000) : undefined;
  await (o.until ?? new Promise(() => undefined));
  clearInterval(ticker);
  setOnChange(() => undefined);
}

function reportMalformed(fleet: Fleet, err: Output): void {
  for (const [topic, why] of Object.entries(fleet.malformed)) err.write(`ignored ${topic}: ${why}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
