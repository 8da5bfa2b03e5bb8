/**
 * Broker options shared by every operator command (`--broker`, `--username`, ...), turned
 * into MqttLink settings for a short-lived clean session, and a connect that gives up.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MqttLink } from '../mqtt/connection.js';
import type { MessageHandler, MqttLinkSettings } from '../mqtt/connection.js';
import { Secret } from '../config/secret.js';

export interface BrokerOptions {
  broker: string;
  username?: string | undefined;
  passwordFile?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  protocol?: string | undefined;
}

export class BrokerOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerOptionError';
  }
}

export class BrokerUnreachableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrokerUnreachableError';
  }
}

function readSecret(path: string, what: string): Secret {
  try {
    // One trailing newline is an artefact of `echo > file`, not part of the secret.
    return new Secret(readFileSync(path, 'utf8').replace(/\r?\n$/, ''), path);
  } catch (error) {
    throw new BrokerOptionError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Settings for an operator's clean session: the broker forgets us when we leave. */
export function brokerSettings(o: BrokerOptions, role: string): MqttLinkSettings {
  if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(o.broker))
    throw new BrokerOptionError(`--broker ${o.broker}: give a URL like mqtt://host:1883 or mqtts://host:8883`);
  const protocol = o.protocol ?? '5';
  if (protocol !== '4' && protocol !== '5') throw new BrokerOptionError('--protocol is 4 (MQTT 3.1.1) or 5');
  if ((o.cert === undefined) !== (o.key === undefined)) throw new BrokerOptionError('--cert and --key go together');
  return {
    url: o.broker,
    protocolVersion: protocol === '4' ? 4 : 5,
    clientId: `dmconfirm-${role}-${randomBytes(6).toString('hex')}`,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.passwordFile !== undefined ? { password: readSecret(o.passwordFile, 'password file') } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    ...(o.cert !== undefined ? { cert: o.cert } : {}),
    ...(o.key !== undefined ? { clientKey: readSecret(o.key, 'client key') } : {}),
    sessionExpirySeconds: 0,
    keepaliveSeconds: 30,
    reconnectMinMs: 250,
    reconnectMaxMs: 2000,
    persistent: false,
  };
}

/**
 * Connects (and subscribes to `subscriptions`, with `onMessage` set first so that nothing
 * retained is missed), or gives up after `timeoutMs`: a refused login fails at once, a
 * broker that does not answer is retried until then (MqttLink's start timeout).
 */
export async function connectOperator(
  settings: MqttLinkSettings,
  options: { subscriptions: string[]; onMessage: MessageHandler; timeoutMs: number },
): Promise<MqttLink> {
  const link = new MqttLink(settings, { subscriptions: options.subscriptions });
  link.onMessage(options.onMessage);
  const refused = new Promise<never>((_, reject) => {
    link.on('error', (error) => {
      // A CONNACK with a reason code (bad credentials, not authorized) will not change on retry.
      if (typeof (error as { code?: unknown }).code === 'number') {
        const hint =
          /protocol version/i.test(error.message) && settings.protocolVersion === 5
            ? ' (an MQTT 3.1.1 broker: try --protocol 4)'
            : '';
        reject(
          new BrokerUnreachableError(`the broker at ${settings.url} refused us: ${error.message}${hint}`, {
            cause: error,
          }),
        );
      }
    });
  });
  refused.catch(() => undefined);
  const started = link.start({ timeoutMs: options.timeoutMs });
  started.catch(() => undefined);
  try {
    await Promise.race([started, refused]);
    return link;
  } catch (error) {
    await link.stop({ timeoutMs: 1000 });
    if (error instanceof BrokerUnreachableError) throw error;
    throw new BrokerUnreachableError(
      `cannot reach the broker: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
