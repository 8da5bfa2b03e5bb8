import { parseAttributes } from '../routeros/wire.js';
import { PROFILES } from '../sim/profiles.js';
import type { ProbeReport } from './report.js';
import { ProbeError, type Sentence, type WireSession } from './wire-session.js';

type Protocol = ProbeReport['protocol'];
type RouterFacts = ProbeReport['router'];

/** The fields dmconfirm reads, per menu (the report says which type each had). */
const FIELDS_READ: Record<string, readonly string[]> = {
  '/system/resource': ['uptime', 'version', 'board-name', 'architecture-name'],
  '/system/identity': ['name'],
  '/system/device-mode': ['mode', 'attempt-count', 'flagged', 'flagging-enabled', 'container', 'scheduler'],
};

const rows = (replies: Sentence[]) => replies.filter((s) => s[0] === '!re').map((s) => parseAttributes(s));
const trapped = (replies: Sentence[]) => replies.some((s) => s[0] === '!trap');

function typeOf(value: string): 'integer' | 'boolean' | 'duration' | 'text' {
  if (/^-?\d+$/.test(value)) return 'integer';
  if (value === 'true' || value === 'false' || value === 'yes' || value === 'no') return 'boolean';
  if (/^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/.test(value) && value !== '') return 'duration';
  return 'text';
}

/** Where `.tag` sat in the tagged replies: right after the reply word, last, or elsewhere. */
export function tagPlacement(replies: Sentence[]): Protocol['tagPlacement'] {
  const places = new Set(
    replies.map((s) => {
      const i = s.findIndex((w) => w.startsWith('.tag='));
      if (i < 0) return 'none';
      if (i === 1) return 'after-reply-word';
      return i === s.length - 1 ? 'last' : 'elsewhere';
    }),
  );
  // A one-word reply (`!done .tag=x`) is both: decide on the longer ones when there are any.
  if (places.has('elsewhere')) return 'elsewhere';
  if (places.has('none')) return 'none';
  return places.has('after-reply-word') || !places.has('last') ? 'after-reply-word' : 'last';
}

export interface ReadOnlyResult {
  router: RouterFacts;
  protocol: Protocol;
  emptyReplies: boolean;
  attemptCount: number;
  mode: string;
  /** An update word that asks for the value already set. */
  noChange: string;
}

/** Everything the probe reads without changing anything on the router. */
export async function readOnlyChecks(a: WireSession): Promise<ReadOnlyResult> {
  const tagged: Sentence[] = [];
  const call = async (words: string[]) => {
    const tag = a.send(words);
    if (!(await a.settle(tag, 10_000))) throw new ProbeError(`${words[0]}: no answer within 10 s`);
    const replies = a.repliesTo(tag).map((r) => r.words);
    tagged.push(...replies);
    return replies.map((s) => s.filter((w) => w !== `.tag=${tag}`));
  };
  const fieldTypes: Protocol['fieldTypes'] = {};
  const read = async (menu: string) => {
    const [row] = rows(await call([`${menu}/print`]));
    if (!row) throw new ProbeError(`${menu}/print returned no row`);
    fieldTypes[menu] = Object.fromEntries(
      (FIELDS_READ[menu] ?? []).filter((f) => f in row).map((f) => [f, typeOf(row[f]!)]),
    );
    return row;
  };
  const resource = await read('/system/resource');
  await read('/system/identity');
  const dm = await read('/system/device-mode');
  const board = await call(['/system/routerboard/print']);
  const model = trapped(board) ? 'CHR' : (rows(board)[0]?.model ?? 'unknown');
  const [version, channel] = (resource.version ?? '').split(/\s+/);
  const empty = await call(['/system/identity/print', '?name=dmconfirm-probe-matches-nothing']);
  const getall = await call(['/system/identity/getall']);
  const count = await call(['/interface/print', '=count-only=']);
  const all = rows(await call(['/interface/print', '=.proplist=name,type']));
  const first = all[0]?.name ?? '';
  const names = async (q: string[]) =>
    rows(await call(['/interface/print', '=.proplist=name', ...q])).map((r) => r.name);
  const equals = await names([`?name=${first}`]);
  const not = await names([`?name=${first}`, '?#!']);
  const or = await names([`?name=${first}`, `?name=${all[1]?.name ?? first}`, '?#|']);
  const longWord = await a.call(['/system/identity/print', `=.proplist=name,${'x'.repeat(20_000)}`]).then(
    (r) => (trapped(r) ? ('trap' as const) : ('answered' as const)),
    () => 'closed' as const,
  );
  const profile = Object.entries(PROFILES).find(([, p]) => p.model === model)?.[0] ?? null;
  return {
    router: {
      routerosVersion: version ?? '',
      channel: channel?.replace(/[()]/g, '') ?? null,
      model,
      boardName: resource['board-name'] ?? '',
      architecture: resource['architecture-name'] ?? '',
      simulatorProfile: profile,
      deviceMode: dm.mode ?? '',
    },
    protocol: {
      tagPlacement: tagPlacement(tagged),
      getall: !trapped(getall) && rows(getall).length === 1,
      countOnly:
        /^\d+$/.test(parseAttributes(count.find((s) => s[0] === '!done') ?? []).ret ?? '') &&
        Number(parseAttributes(count.find((s) => s[0] === '!done') ?? []).ret) === all.length,
      queries: {
        equals: equals.length === 1 && equals[0] === first,
        not: all.length > 0 && not.length === all.length - 1 && !not.includes(first),
        or: all.length < 2 || or.length === 2,
        proplist: all.every((r) => Object.keys(r).every((k) => k === 'name' || k === 'type' || k === '.id')),
      },
      longWord,
      fieldTypes,
    },
    emptyReplies: empty.some((s) => s[0] === '!empty'),
    attemptCount: Number(dm['attempt-count'] ?? 'NaN'),
    mode: dm.mode ?? '',
    noChange: `=flagging-enabled=${['false', 'no'].includes(dm['flagging-enabled'] ?? '') ? 'no' : 'yes'}`,
  };
}
