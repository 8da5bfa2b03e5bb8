/**
 * Broker conformance probe: does this broker (or these two nodes of one cluster) do what the
 * MQTT contract relies on (docs/fleets.md)? Real mqtt.js clients, MQTT 5, like the agent and
 * the operator tools. Publishers connect to `publishUrl`, receivers to `receiveUrl`; a
 * persistent session is opened on the receiving node and resumed on the publishing one
 * (an agent whose node went away reconnects to another). One URL twice probes one broker.
 * Each check returns a verdict with what it saw (broker-verdicts.ts).
 */
import { randomBytes } from 'node:crypto';
import * as judge from './broker-verdicts.js';
import type { Verdict } from './broker-verdicts.js';
import { pause, Probe, trySubscribe, type ProbeTarget } from './probe-clients.js';

export type { Credentials, ProbeTarget } from './probe-clients.js';

const GRACE_MS = 500;

async function routing(p: Probe): Promise<Verdict> {
  const { publishUrl, receiveUrl } = p.target;
  const plus = await p.connect(receiveUrl);
  await plus.client.subscribeAsync(`${p.prefix}/+/state`, { qos: 1 });
  const hash = await p.connect(receiveUrl);
  await hash.client.subscribeAsync(`${p.prefix}/#`, { qos: 1 });
  const tx = await p.connect(publishUrl);
  await tx.client.publishAsync(`${p.prefix}/a1/state`, 'routed', { qos: 1 });
  const viaPlus = await p.within(() => plus.find((m) => m.payload === 'routed'));
  const viaHash = await p.within(() => hash.find((m) => m.payload === 'routed'));
  return judge.judgeRouting({ viaPlus: viaPlus?.qos, viaHash: viaHash?.qos });
}

async function retained(p: Probe): Promise<Verdict> {
  const topic = `${p.prefix}/retained/status`;
  const tx = await p.connect(p.target.publishUrl);
  await tx.client.publishAsync(topic, 'online', { qos: 1, retain: true });
  const late = await p.connect(p.target.receiveUrl);
  await late.client.subscribeAsync(topic, { qos: 1 });
  const got = await p.within(() => late.find((m) => m.topic === topic));
  await tx.client.publishAsync(topic, '', { qos: 1, retain: true });
  await tx.client.publishAsync(`${p.prefix}/retained/marker`, 'marker', { qos: 1, retain: true });
  const after = await p.connect(p.target.receiveUrl);
  await after.client.subscribeAsync(`${p.prefix}/retained/#`, { qos: 1 });
  await p.within(() => after.find((m) => m.payload === 'marker'));
  await pause(GRACE_MS);
  await tx.client.publishAsync(`${p.prefix}/retained/marker`, '', { qos: 1, retain: true });
  return judge.judgeRetained({
    late: got && { payload: got.payload, retain: got.retain },
    afterClear: after.find((m) => m.topic === topic)?.payload,
  });
}

async function will(p: Probe): Promise<Verdict> {
  const topic = `${p.prefix}/will/status`;
  const rx = await p.connect(p.target.receiveUrl);
  await rx.client.subscribeAsync(topic, { qos: 1 });
  const id = `probe-will-${randomBytes(4).toString('hex')}`;
  const dying = await p.connect(
    p.target.publishUrl,
    p.persistent(id, { will: { topic, payload: Buffer.from('connection-lost'), qos: 1, retain: true } }),
  );
  dying.client.stream.destroy(); // no DISCONNECT: the broker must publish the will
  const live = await p.within(() => rx.find((m) => m.topic === topic));
  const later = await p.connect(p.target.receiveUrl);
  await later.client.subscribeAsync(topic, { qos: 1 });
  const kept = await p.within(() => later.find((m) => m.topic === topic && m.retain));
  await rx.client.publishAsync(topic, '', { qos: 1, retain: true });
  await p.forget(p.target.publishUrl, id);
  return judge.judgeWill({ live: live?.payload, retainedLater: kept?.payload });
}

/** Opens a persistent session on the receiving node, subscribed, and leaves it with a clean DISCONNECT. */
async function sessionAway(p: Probe, topic: string, id: string) {
  const first = await p.connect(p.target.receiveUrl, p.persistent(id));
  await first.client.subscribeAsync(topic, { qos: 1 });
  await first.client.endAsync();
}

async function session(p: Probe): Promise<Verdict> {
  const topic = `${p.prefix}/session/request`;
  const id = `probe-session-${randomBytes(4).toString('hex')}`;
  await sessionAway(p, topic, id);
  const tx = await p.connect(p.target.publishUrl);
  const expected = ['order-1', 'order-2', 'order-3'];
  for (const payload of expected) await tx.client.publishAsync(topic, payload, { qos: 1 });
  const back = await p.connect(p.target.publishUrl, p.persistent(id));
  await p.within(() => (back.seen.length >= expected.length ? true : undefined));
  await pause(GRACE_MS);
  const verdict = judge.judgeSession({
    requestedExpiry: p.target.sessionExpirySeconds ?? 86_400,
    grantedExpiry: back.connack.properties?.sessionExpiryInterval,
    sessionPresent: back.connack.sessionPresent,
    expected,
    delivered: back.seen.map((m) => m.payload),
    serverDisconnects: back.disconnects,
  });
  await back.client.endAsync();
  await p.forget(p.target.publishUrl, id);
  return verdict;
}

async function expiry(p: Probe): Promise<Verdict> {
  const topic = `${p.prefix}/expiry/request`;
  const id = `probe-expiry-${randomBytes(4).toString('hex')}`;
  const sentExpiry = 2;
  await sessionAway(p, topic, id);
  const live = await p.connect(p.target.receiveUrl);
  await live.client.subscribeAsync(topic, { qos: 1 });
  const tx = await p.connect(p.target.publishUrl);
  const expiring = { qos: 1, properties: { messageExpiryInterval: sentExpiry } } as const;
  // The first message queued for an offline session, and one in the middle of the queue.
  await tx.client.publishAsync(topic, 'stale-first', expiring);
  await tx.client.publishAsync(topic, 'kept-1', { qos: 1 });
  await tx.client.publishAsync(topic, 'stale-middle', expiring);
  await tx.client.publishAsync(topic, 'kept-2', { qos: 1 });
  // Like the retained challenge: the broker must drop it when its expiry runs out, even though nobody clears it.
  const challenge = `${p.prefix}/expiry/challenge`;
  await tx.client.publishAsync(challenge, 'stale-challenge', { ...expiring, retain: true });
  const liveCopy = await p.within(() => live.find((m) => m.payload === 'stale-first'));
  await pause((sentExpiry + 1.5) * 1000);
  const back = await p.connect(p.target.publishUrl, p.persistent(id));
  // QoS 1 from one publisher arrives in order: once the last is here, the stale ones would have been.
  await p.within(() => back.find((m) => m.payload === 'kept-2'));
  const late = await p.connect(p.target.receiveUrl);
  await late.client.subscribeAsync([challenge, `${p.prefix}/retained-marker`], { qos: 1 });
  await tx.client.publishAsync(`${p.prefix}/retained-marker`, 'marker', { qos: 1, retain: true });
  await p.within(() => late.find((m) => m.payload === 'marker'));
  await pause(GRACE_MS);
  await tx.client.publishAsync(`${p.prefix}/retained-marker`, '', { qos: 1, retain: true });
  await tx.client.publishAsync(challenge, '', { qos: 1, retain: true });
  const verdict = judge.judgeExpiry({
    delivered: back.seen.map((m) => m.payload),
    expected: ['kept-1', 'kept-2'],
    retainedExpiredDelivered: late.find((m) => m.topic === challenge && m.payload !== '') !== undefined,
    sentExpiry,
    liveExpiry: liveCopy?.expiry,
  });
  await back.client.endAsync();
  await p.forget(p.target.publishUrl, id);
  return verdict;
}

async function rap(p: Probe): Promise<Verdict> {
  const topic = `${p.prefix}/rap/request`;
  const withRap = await p.connect(p.target.receiveUrl);
  await withRap.client.subscribeAsync(topic, { qos: 1, rap: true });
  const withoutRap = await p.connect(p.target.receiveUrl);
  await withoutRap.client.subscribeAsync(topic, { qos: 1, rap: false });
  const tx = await p.connect(p.target.publishUrl);
  await tx.client.publishAsync(topic, 'retained-order', { qos: 1, retain: true });
  const a = await p.within(() => withRap.find((m) => m.topic === topic));
  const b = await p.within(() => withoutRap.find((m) => m.topic === topic));
  await tx.client.publishAsync(topic, '', { qos: 1, retain: true });
  return judge.judgeRap({ withRap: a?.retain, withoutRap: b?.retain });
}

async function acl(p: Probe): Promise<Verdict> {
  const spec = p.target.acl;
  if (!spec) return judge.skipped('per-client-acl', 'no agent and operator identities given');
  const [mine, other] = spec.agents;
  const base = `dmconfirm/v1/${spec.site}`;
  const agent = await p.connect(p.target.receiveUrl, mine);
  const ownCode = await trySubscribe(agent.client, `${base}/${mine.username}/request`);
  const foreign = [
    await trySubscribe(agent.client, `${base}/${other.username}/request`),
    await trySubscribe(agent.client, 'dmconfirm/v1/#'),
  ];
  const operator = await p.connect(p.target.publishUrl, spec.operator);
  const operatorCode = await trySubscribe(operator.client, `${base}/+/status`);
  await operator.client.publishAsync(`${base}/${other.username}/request`, 'order-for-other', { qos: 1 });
  await operator.client.publishAsync(`${base}/${mine.username}/request`, 'order-for-me', { qos: 1 });
  // QoS 1 from one publisher arrives in order: once the own order is here, the other's would have been.
  const ownOrder = await p.within(() => agent.find((m) => m.payload === 'order-for-me'));
  await pause(GRACE_MS);
  // A broker may refuse a forbidden publish by closing the connection: each publish has its own.
  const forger = await p.connect(p.target.receiveUrl, { ...mine, clientId: `probe-forger-${Date.now()}` });
  await forger.client.publishAsync(`${base}/${other.username}/status`, 'forged', { qos: 1 }).catch(() => undefined);
  const honest = await p.connect(p.target.receiveUrl, { ...mine, clientId: `probe-honest-${Date.now()}` });
  await honest.client.publishAsync(`${base}/${mine.username}/status`, 'own-status', { qos: 1 });
  const ownStatus = await p.within(() => operator.find((m) => m.payload === 'own-status'));
  await pause(GRACE_MS);
  return judge.judgeAcl({
    ownOrder: ownOrder !== undefined,
    foreignOrder: agent.find((m) => m.payload === 'order-for-other') !== undefined,
    ownStatus: ownStatus !== undefined,
    foreignStatus: operator.find((m) => m.payload === 'forged') !== undefined,
    ownSubscribeCode: ownCode,
    operatorSubscribeCode: operatorCode,
    foreignSubscribeCodes: foreign,
  });
}

/**
 * The logins the probe uses with the shipped ACL (config/mosquitto-acl.conf): its own `prober`
 * (allowed `dmconfirm-probe/#` only), two agents of site riga and an operator.
 */
export function shippedAclIdentities(password: string): Pick<ProbeTarget, 'login' | 'acl'> {
  const as = (username: string) => ({ username, password });
  return {
    login: as('prober'),
    acl: { site: 'riga', agents: [as('pi-1'), as('pi-2')], operator: as('operator-alice') },
  };
}

export const PROBE_USERS = ['prober', 'pi-1', 'pi-2', 'operator-alice'];

export const CHECKS = { routing, retained, will, session, expiry, rap, acl } as const;

/** Runs every check (or those named), one after another; a check that throws fails with the error as evidence. */
export async function probeBroker(
  target: ProbeTarget,
  only: Array<keyof typeof CHECKS> = Object.keys(CHECKS) as Array<keyof typeof CHECKS>,
): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (const name of only) {
    const p = new Probe(target);
    try {
      verdicts.push(await CHECKS[name](p));
    } catch (error) {
      verdicts.push({ feature: FEATURE_OF[name], status: 'fail', evidence: `error: ${(error as Error).message}` });
    } finally {
      await p.closeAll();
    }
  }
  return verdicts;
}

const FEATURE_OF: Record<keyof typeof CHECKS, judge.FeatureName> = {
  routing: 'qos1-routing',
  retained: 'retained',
  will: 'will',
  session: 'persistent-session',
  expiry: 'message-expiry',
  rap: 'retain-as-published',
  acl: 'per-client-acl',
};
