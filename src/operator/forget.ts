/**
 * `dmconfirm forget --agent A`: a decommissioned agent's retained topics (status, router
 * states, challenges, audit checkpoint) stay on the broker for ever; this clears them with
 * empty retained messages, the MQTT way. A live agent would publish them again, so an
 * online one is refused unless forced. The broker's ACL must let this identity write them
 * (config/mosquitto-acl.conf: the fleet-admin user).
 */
import { parsePayload, statusSchema } from '../mqtt/contract.js';
import type { MqttLinkSettings } from '../mqtt/connection.js';
import { parseTopic } from '../mqtt/topics.js';
import { connectOperator } from './broker.js';
import { EXIT } from './progress.js';
import type { ExitCode } from './progress.js';

export interface ForgetOptions {
  base: string;
  agent: string;
  site?: string | undefined;
  force: boolean;
  connectTimeoutMs: number;
  print: (line: string) => void;
}

/** Connects and collects what the broker holds retained under `topic` once the burst is quiet. */
async function retainedUnder(settings: MqttLinkSettings, topic: string, connectTimeoutMs: number) {
  const retained = new Map<string, Buffer>();
  let last = Date.now();
  const link = await connectOperator(settings, {
    subscriptions: [topic],
    timeoutMs: connectTimeoutMs,
    onMessage: ({ topic: t, payload, retain }) => {
      last = Date.now();
      if (retain && payload.length > 0) retained.set(t, payload);
    },
  });
  const started = Date.now();
  while (Date.now() - last < 300 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 25));
  return { link, retained };
}

export async function forgetAgent(
  settings: MqttLinkSettings,
  o: ForgetOptions,
): Promise<{ code: ExitCode; message: string }> {
  const base = o.base.replace(/\/+$/, '');
  const pattern = `${base}/${o.site ?? '+'}/${o.agent}/#`;
  const { link, retained } = await retainedUnder(settings, pattern, o.connectTimeoutMs);
  try {
    if (retained.size === 0)
      return {
        code: EXIT.timeout,
        message: `nothing retained for agent ${o.agent}${o.site ? ` at site ${o.site}` : ''} under ${base}`,
      };
    const sites = new Set([...retained.keys()].map((t) => parseTopic(base, t)?.site));
    if (sites.size > 1)
      return {
        code: EXIT.refused,
        message: `agent ${o.agent} has retained topics at several sites (${[...sites].join(', ')}): give --site`,
      };
    for (const [topic, payload] of retained) {
      if (parseTopic(base, topic)?.kind !== 'status') continue;
      const status = (() => {
        try {
          return parsePayload(statusSchema, topic, payload);
        } catch {
          return undefined;
        }
      })();
      if (status?.state === 'online' && !o.force) {
        return {
          code: EXIT.refused,
          message:
            `agent ${o.agent} is online (since ${status.at}): it ` +
            `would publish its state again. Stop it first, or --force`,
        };
      }
    }
    for (const topic of [...retained.keys()].sort()) {
      // MQTT 5 brokers answer a refused publish; 3.1.1 ones drop it silently: checked below.
      await link.publish(topic, Buffer.alloc(0), { retain: true, qos: 1 }).catch(() => undefined);
    }
  } finally {
    await link.stop({ timeoutMs: 2000 });
  }
  const check = await retainedUnder(settings, pattern, o.connectTimeoutMs);
  await check.link.stop({ timeoutMs: 2000 });
  for (const topic of [...retained.keys()].sort()) if (!check.retained.has(topic)) o.print(`cleared ${topic}`);
  if (check.retained.size > 0) {
    return {
      code: EXIT.refused,
      message:
        `the broker kept ${check.retained.size} retained topic(s) (${[...check.retained.keys()].join(', ')}): ` +
        'its ACL does not let this user write them (config/mosquitto-acl.conf: use the fleet-admin user)',
    };
  }
  return { code: EXIT.done, message: `forgot agent ${o.agent}: ${retained.size} retained topic(s) cleared` };
}
