/**
 * `dmconfirm follow <requestId>`: attach to an operation already under way (after Ctrl-C,
 * from another terminal, after a lost connection). Progress answers are not retained, so
 * the agents' retained router states say where it stands now; then its answers are read as
 * `--wait` reads them, until the final one or the router state shows it ended.
 */
import { parsePayload, routerStateSchema } from '../mqtt/contract.js';
import type { MqttLinkSettings } from '../mqtt/connection.js';
import { parseTopic } from '../mqtt/topics.js';
import { connectOperator } from './broker.js';
import { clockTime, EXIT } from './progress.js';
import { ProgressReader } from './progress-reader.js';
import { Terminal } from './terminal.js';
import type { Output } from './terminal.js';
import { waitForEnd } from './wait.js';
import type { WaitResult } from './wait.js';

export interface FollowOptions {
  base: string;
  requestId: string;
  /** The digest of the message's bytes, when the operator has the file. */
  digest?: string | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  out: Output;
  err: Output;
  until?: Promise<unknown> | undefined;
  followHint?: string | undefined;
}

export async function followOperation(settings: MqttLinkSettings, o: FollowOptions): Promise<WaitResult> {
  const term = new Terminal(o.out);
  const note = (text: string) => (term.interactive ? term.line(text) : o.err.write(`${text}\n`));
  const reader = new ProgressReader(o.requestId, o.digest, term, note);
  const base = o.base.replace(/\/+$/, '');
  let where: string | undefined;
  let settledAt: number | undefined;
  let last = Date.now();

  const onMessage = ({ topic, payload }: { topic: string; payload: Buffer }) => {
    const parsed = parseTopic(base, topic);
    if (parsed?.kind === 'progress' && parsed.requestId === o.requestId) {
      where ??= `${parsed.site}/${parsed.agent}`;
      reader.read(topic, payload);
      return;
    }
    if (parsed?.kind !== 'routerState' || payload.length === 0) return;
    last = Date.now();
    let state;
    try {
      state = parsePayload(routerStateSchema, topic, payload);
    } catch {
      return;
    }
    const at = `router ${state.router} of ${parsed.site}/${parsed.agent}`;
    if (state.operation?.requestId === o.requestId) {
      where = at;
      if (settledAt === undefined)
        note(`${clockTime(Date.now())}  now ${state.operation.state} since ${state.operation.since} on ${at}`);
    } else if (state.lastResult?.requestId === o.requestId) {
      where = at;
      reader.ended({ ...state.lastResult, router: state.router });
    }
  };

  reader.start();
  let link;
  try {
    link = await connectOperator(settings, {
      subscriptions: [`${base}/+/+/progress/${o.requestId}`, `${base}/+/+/routers/+/state`],
      onMessage,
      timeoutMs: o.connectTimeoutMs,
    });
  } catch (error) {
    return { code: EXIT.unreachable, summary: error instanceof Error ? error.message : String(error) };
  }
  try {
    // The retained states arrive first; once they are quiet we know whether anyone has it.
    while (Date.now() - last < 300 && Date.now() - reader.following.sentAt < 3000)
      await new Promise((r) => setTimeout(r, 25));
    settledAt = Date.now();
    if (where === undefined)
      note(`no agent's retained state mentions request ${o.requestId} (yet); waiting for its answers`);
    return await waitForEnd(reader, term, {
      timeoutMs: o.timeoutMs,
      agent: where ?? 'an agent',
      until: o.until,
      followHint: o.followHint,
    });
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
}
