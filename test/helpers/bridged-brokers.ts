/**
 * The topology sites use: a central mosquitto, and site mosquittos bridged to it through an
 * uplink the test can cut. Each site broker runs the shipped bridge example
 * (config/mosquitto-site-bridge.conf) with its site name and the uplink's address put in,
 * its TLS lines left out and its timers shortened: the configuration under test is the one
 * users copy.
 */
import { readFileSync } from 'node:fs';
import { Mosquitto } from './mosquitto.js';
import { Uplink } from './uplink.js';

export const BRIDGE_EXAMPLE = new URL('../../config/mosquitto-site-bridge.conf', import.meta.url);

/** The example's bridge section for `site`, bridging to 127.0.0.1:`port`. */
export function siteBridgeConfig(site: string, port: number, overrides: Record<string, string> = {}): string[] {
  const settings: Record<string, string> = {
    address: `127.0.0.1:${port}`,
    keepalive_interval: '5',
    restart_timeout: '1 2',
    ...overrides,
  };
  return readFileSync(BRIDGE_EXAMPLE, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) =>
        line !== '' &&
        !line.startsWith('#') &&
        !/^(bridge_cafile|bridge_certfile|bridge_keyfile|remote_username)\b/.test(line),
    )
    .map((line) => {
      const [key] = line.split(' ');
      const value = settings[key!];
      return (value === undefined ? line : `${key} ${value}`).replaceAll('riga', site);
    });
}

export class SiteBroker {
  readonly broker: Mosquitto;
  readonly uplink: Uplink;

  constructor(
    readonly site: string,
    central: Mosquitto,
    private readonly overrides: Record<string, string> = {},
  ) {
    this.uplink = new Uplink(() => central.port);
    this.broker = new Mosquitto({ persistence: true });
  }

  get url(): string {
    return this.broker.url;
  }

  async start(): Promise<void> {
    await this.uplink.start();
    this.broker.extraConfig.splice(
      0,
      this.broker.extraConfig.length,
      'allow_anonymous true',
      ...siteBridgeConfig(this.site, this.uplink.port, this.overrides),
    );
    await this.broker.start();
  }

  async dispose(): Promise<void> {
    await this.broker.dispose();
    await this.uplink.stop();
  }
}

/** One central broker and the site brokers bridged to it. */
export class BridgedBrokers {
  readonly central = new Mosquitto({
    persistence: true,
    extraConfig: ['allow_anonymous true', 'max_queued_messages 100000'],
  });
  readonly sites: SiteBroker[];

  constructor(sites: string[], overrides: Record<string, string> = {}) {
    this.sites = sites.map((site) => new SiteBroker(site, this.central, overrides));
  }

  site(name: string): SiteBroker {
    const found = this.sites.find((s) => s.site === name);
    if (!found) throw new Error(`no site broker for ${name}`);
    return found;
  }

  async start(): Promise<void> {
    await this.central.start();
    await Promise.all(this.sites.map((s) => s.start()));
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.sites.map((s) => s.dispose()));
    await this.central.dispose();
  }
}
