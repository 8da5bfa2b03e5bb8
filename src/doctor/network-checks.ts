import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { MqttLink } from '../mqtt/connection.js';
import { RouterClient } from '../routeros/client.js';
import type { DeviceModeState } from '../routeros/device-mode.js';
import { endpointPort, type RouterEndpoint } from '../routeros/endpoint.js';
import { isRouterError } from '../routeros/errors.js';
import type { RouterIdentity } from '../routeros/parse.js';
import { fail, pass, warn, type CheckResult } from './check.js';

/** How a failed RouterOS login or call reads to an installer, by the client's typed error. */
export function judgeRouterError(name: string, endpoint: RouterEndpoint, error: unknown, where: string): CheckResult {
  const at = `${endpoint.host}:${endpointPort(endpoint)}`;
  if (!isRouterError(error)) return fail(name, `${at}: ${(error as Error).message}`, 'see the log; this is unexpected');
  switch (error.kind) {
    case 'auth':
      return fail(
        name,
        `${at}: login refused for user "${endpoint.username}"`,
        `check ${where}.username and the password file or credential it names; on the router: /user print`,
      );
    case 'tls':
      return fail(
        name,
        `${at}: ${error.message}`,
        `check ${where}.tls.fingerprint against the router's api-ssl certificate (/certificate print detail)`,
      );
    case 'unreachable':
      if ('loginStalled' in error && error.loginStalled) {
        return fail(
          name,
          `${at}: connected but the login got no answer (a pending device-mode change stalls the API)`,
          'wait for the change to be confirmed or to expire, then run doctor again',
        );
      }
      return fail(
        name,
        `${at}: unreachable (${error.message})`,
        `check ${where}.host/port, that the router's api${endpoint.tls?.enabled ? '-ssl' : ''} service is enabled ` +
          '(/ip service print) and that a firewall lets this Pi in',
      );
    case 'timeout':
      return fail(
        name,
        `${at}: ${error.message}`,
        `the router is slow or overloaded; raise ${where}.timeoutMs if it persists`,
      );
    default:
      return fail(name, `${at}: ${error.message}`, 'check that this is a RouterOS 7 API port');
  }
}

export function describeIdentity(identity: RouterIdentity): string {
  const unit = identity.serial
    ? `serial ${identity.serial}`
    : identity.systemId
      ? `system-id ${identity.systemId}`
      : 'no serial or system-id';
  return `"${identity.name}" ${identity.model ?? identity.boardName}, ${unit}, RouterOS ${identity.version}`;
}

export function judgeDeviceMode(name: string, mode: DeviceModeState): CheckResult {
  const text = `mode ${mode.mode}, attempt-count ${mode.attemptCount}, flagged ${mode.flagged ? 'yes' : 'no'}`;
  if (mode.flagged) {
    return fail(
      name,
      `${text}: RouterOS flagged this router (signs of tampering at boot)`,
      'investigate the router before any change; ' +
        '/system/device-mode update flagged=no needs a signed approval and physical confirmation',
    );
  }
  if (mode.attemptCount >= 3)
    return warn(
      name,
      `${text}: attempts exhausted, further updates are refused`,
      'power cycle the router to reset attempt-count',
    );
  return pass(name, text);
}

export interface RouterProbeResult {
  identity?: RouterIdentity;
  deviceMode?: DeviceModeState;
  results: CheckResult[];
}

/**
 * Logs in with the hardened client, reads the identity and device-mode, and logs out.
 * Only reads: nothing is ever changed on the router.
 */
export async function probeRouter(label: string, endpoint: RouterEndpoint, where: string): Promise<RouterProbeResult> {
  const client = new RouterClient(endpoint);
  const name = `${label} API`;
  try {
    await client.start();
    let identity: RouterIdentity;
    try {
      identity = await client.readIdentity();
    } catch (error) {
      return { results: [judgeRouterError(name, endpoint, error, where)] };
    }
    const results = [
      pass(name, `${endpoint.host}:${endpointPort(endpoint)} as "${endpoint.username}": ${describeIdentity(identity)}`),
    ];
    try {
      const deviceMode = await client.readDeviceMode();
      return { identity, deviceMode, results: [...results, judgeDeviceMode(`${label} device-mode`, deviceMode)] };
    } catch (error) {
      const why =
        isRouterError(error) && error.kind === 'trap'
          ? `${error.message} (the user needs read access to /system/device-mode)`
          : (error as Error).message;
      return {
        identity,
        results: [
          ...results,
          fail(
            `${label} device-mode`,
            why,
            'give the RouterOS user a group with the read policy; RouterOS 7.17 or later',
          ),
        ],
      };
    }
  } finally {
    await client.stop();
  }
}

/**
 * Connects with a throwaway clean session (never the agent's client id: that would kick a
 * running agent off the broker and discard its queued messages), then disconnects.
 */
export async function checkBroker(config: Config, timeoutMs: number): Promise<CheckResult> {
  const { mqtt, agent } = config;
  const name = 'MQTT broker';
  const link = new MqttLink({
    ...mqtt,
    clientId: `dmconfirm-doctor-${agent.site}-${agent.id}-${randomBytes(3).toString('hex')}`,
    persistent: false,
  });
  try {
    await link.start({ timeoutMs });
    return pass(
      name,
      `connected to ${mqtt.url}${mqtt.username ? ` as "${mqtt.username}"` : ''} ` +
        `(MQTT ${mqtt.protocolVersion === 5 ? '5' : '3.1.1'})`,
    );
  } catch (error) {
    return fail(
      name,
      (error as Error).message,
      'check mqtt.url, that the broker runs and listens there (systemctl ' +
        'status mosquitto), the firewall, and mqtt.username/password/ca/cert',
    );
  } finally {
    await link.stop({ timeoutMs: 1000 });
  }
}
