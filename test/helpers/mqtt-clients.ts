/** Plain mqtt.js clients for tests: an observer that records what it sees, and a child-process link. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { setNoDelay, type MqttLinkSettings } from '../../src/mqtt/connection.js';
import { waitFor } from './mosquitto.js';
import { reapOnExit } from './child-reaper.js';

export interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

export class Observer {
  readonly seen: Seen[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) =>
      this.seen.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
  }

  static async connect(
    url: string,
    subscriptions: string[] = [],
    options: mqtt.IClientOptions = {},
  ): Promise<Observer> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, ...options });
    // Like the operator tools (MqttLink): each order leaves at once, not behind Nagle.
    setNoDelay(client.stream);
    client.on('connect', () => setNoDelay(client.stream));
    const observer = new Observer(client);
    if (subscriptions.length > 0) await client.subscribeAsync(subscriptions, { qos: 1 });
    return observer;
  }

  waitFor(predicate: (m: Seen) => boolean, what: string, timeoutMs?: number): Promise<Seen> {
    return waitFor(() => this.seen.find(predicate), what, timeoutMs);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export function linkSettings(
  url: string,
  clientId: string,
  overrides: Partial<MqttLinkSettings> = {},
): MqttLinkSettings {
  return {
    url,
    protocolVersion: 5,
    clientId,
    sessionExpirySeconds: 600,
    keepaliveSeconds: 10,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    ...overrides,
  };
}

/** An MqttLink in a child process that the test can SIGKILL. */
export class LinkChild {
  readonly lines: Array<Record<string, unknown>> = [];
  private constructor(readonly child: ChildProcess) {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => this.lines.push(JSON.parse(line) as Record<string, unknown>));
  }

  static async start(args: {
    settings: MqttLinkSettings;
    presenceTopic: string;
    subscriptions: string[];
    hang?: boolean;
  }): Promise<LinkChild> {
    const script = new URL('./link-child.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    reapOnExit(child);
    const link = new LinkChild(child);
    await waitFor(() => link.lines.find((l) => l.ready === true), 'child link ready', 30_000);
    return link;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }
}
