import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SimulatedRouter, type SimulatedRouterOptions } from '../sim/index.js';
import { OperatorTeam } from './operators.js';

export interface SiteOptions {
  brokerUrl: string;
  protocolVersion: 4 | 5;
  router?: SimulatedRouterOptions;
  /** Extra keys merged into the router binding (e.g. pollIntervalMs, methods). */
  routerConfig?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  /** Defaults to a temp dir; reuse one to restart an agent on the same state. */
  dir?: string;
  offMs?: number;
  pressMs?: number;
  /** Another trust root than the team's default one (e.g. with SSH keys). */
  trustRoot?: (team: OperatorTeam) => Promise<string>;
}

/**
 * One simulated site as a user would set it up: a router (simulator), its actuators wired
 * through the simulator's control endpoint, an agent configuration file with secrets in
 * files, a trust root from an operator team, and an agent key. Shared by the demo and the
 * end-to-end tests so both exercise exactly what users run.
 */
export class SimulatedSite {
  readonly team = new OperatorTeam();
  router!: SimulatedRouter;
  dir!: string;
  configFile!: string;
  config!: Config;
  readonly agentId = 'pi-demo';
  readonly siteName = 'lab';

  constructor(readonly options: SiteOptions) {}

  get serial(): string {
    return this.router.serialNumber;
  }

  async start(): Promise<void> {
    this.dir = this.options.dir ?? (await mkdtemp(join(tmpdir(), 'dmconfirm-site-')));
    await mkdir(join(this.dir, 'state'), { recursive: true });
    this.router = new SimulatedRouter({
      model: 'hAP-ax3',
      password: 'router-secret',
      timing: { bootMs: 2000, shutdownMs: 1000, minOffMs: 1500 },
      ...this.options.router,
    });
    await this.router.start();
    await writeFile(join(this.dir, 'router.password'), 'router-secret\n', { mode: 0o600 });
    const trustRoot = await (this.options.trustRoot?.(this.team) ?? this.team.trustRootText());
    await writeFile(join(this.dir, 'trust.json'), trustRoot);
    const agentKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    await writeFile(join(this.dir, 'agent.key'), agentKey, { mode: 0o600 });
    this.configFile = join(this.dir, 'agent.yaml');
    await writeFile(this.configFile, stringify(this.configDocument()));
    this.config = loadConfig(this.configFile, { env: {} }).config;
  }

  private configDocument(): Record<string, unknown> {
    const control = `http://127.0.0.1:${this.router.controlPort}`;
    const timing = { offMs: this.options.offMs ?? 2500, offMinMs: 2000, pressMs: this.options.pressMs ?? 300 };
    return {
      agent: {
        id: this.agentId,
        site: this.siteName,
        stateDir: 'state',
        trustRoot: 'trust.json',
        key: { file: 'agent.key' },
        clock: 'assume-synced',
      },
      log: { level: 'warn', pretty: false },
      mqtt: {
        url: this.options.brokerUrl,
        protocolVersion: this.options.protocolVersion,
        reconnectMinMs: 200,
        reconnectMaxMs: 2000,
      },
      policy: {
        allowedFeatures: ['container', 'fetch', 'scheduler'],
        maxOperationsPerHour: 20,
        minActionMarginMs: 5000,
        ...this.options.policy,
      },
      routers: [
        {
          name: 'hap1',
          host: '127.0.0.1',
          port: this.router.apiPort,
          username: 'admin',
          password: { file: 'router.password' },
          pollIntervalMs: 250,
          bootTimeoutMs: 30_000,
          methods: ['power', 'button'],
          actuators: {
            power: { driver: 'sim', url: control, timing },
            button: { driver: 'sim', url: control, timing },
          },
          ...this.options.routerConfig,
        },
      ],
    };
  }

  async stop(): Promise<void> {
    await this.router?.stop();
  }
}
