/**
 * The shipped per-agent ACL (config/mosquitto-acl.conf) in ejabberd's terms, derived from the
 * file itself so the two cannot drift: each `user` line becomes an ejabberd ACL, each
 * `pattern` line (mosquitto's %u) an entry open to every logged-in user with mod_mqtt's own
 * `%u`, and every topic filter an access rule listing who may use it. mod_mqtt checks a
 * subscription's filter against these filters (a wildcard subscription beyond them is
 * refused, SUBACK 0x8f) and a publish's topic (refused, PUBACK 0x90).
 */
import { readFileSync } from 'node:fs';

const ACL_FILE = new URL('../../config/mosquitto-acl.conf', import.meta.url);

/** The probe's own topics (broker-conformance.ts), for its `prober` login. */
const PROBER = 'prober';
const PROBE_TOPICS = 'dmconfirm-probe/#';

export function ejabberdAccess(aclText = readFileSync(ACL_FILE, 'utf8')) {
  const users = new Set<string>([PROBER]);
  // filter → who may: a user name, or '*' for a pattern line (any user, %u pins the agent).
  const read = new Map<string, Set<string>>([[PROBE_TOPICS, new Set([PROBER])]]);
  const write = new Map<string, Set<string>>([[PROBE_TOPICS, new Set([PROBER])]]);
  let user: string | undefined;
  for (const raw of aclText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [kind, a, b] = line.split(/\s+/);
    if (kind === 'user' && a) {
      user = a;
      users.add(a);
      continue;
    }
    if (kind !== 'topic' && kind !== 'pattern') throw new Error(`unexpected ACL line: ${line}`);
    const [access, topic] = b === undefined ? ['readwrite', a] : [a, b];
    const who = kind === 'pattern' ? '*' : user;
    if (!topic || !who) throw new Error(`ACL line without a topic or a user: ${line}`);
    // mod_mqtt rules only allow: a `deny` cannot be carried over, so it must not be dropped silently.
    if (!['read', 'write', 'readwrite'].includes(access!)) throw new Error(`untranslatable ACL line: ${line}`);
    for (const [wanted, map] of [
      ['read', read],
      ['write', write],
    ] as const) {
      if (access === wanted || access === 'readwrite') map.set(topic, (map.get(topic) ?? new Set()).add(who));
    }
  }
  const acl: Record<string, { user: string[] }> = {};
  for (const u of users) acl[aclName(u)] = { user: [u] };
  // One access rule per set of identities, named after them: `may_all`, `may_rollout_coordinator`, ...
  const accessRules: Record<string, Array<Record<string, string>>> = {};
  const entries = (map: Map<string, Set<string>>) =>
    Object.fromEntries(
      [...map].map(([topic, who]) => {
        const names = [...who].sort().map((w) => (w === '*' ? 'all' : aclName(w)));
        const rule = `may_${names.map((n) => n.replace(/^user_/, '')).join('_or_')}`;
        accessRules[rule] = names.map((n) => ({ allow: n }));
        return [topic, rule];
      }),
    );
  const mqtt = { access_subscribe: entries(read), access_publish: entries(write) };
  return { rules: { acl, access_rules: accessRules }, mqtt };
}

function aclName(user: string): string {
  return `user_${user.replace(/[^a-z0-9]/gi, '_')}`;
}

export const CONTRACT_ACCESS = ejabberdAccess();
