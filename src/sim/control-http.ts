import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DropRuleInput, InjectedFaults } from './faults.js';
import type { PoePorts } from './poe.js';
import type { SimState } from './state.js';

/** The physical world the endpoint drives (the simulated router implements it). */
export interface PhysicalControls {
  readonly poe: PoePorts | undefined;
  readonly injected: InjectedFaults;
  state(): SimState;
  setPower(on: boolean): void;
  pressButtonDown(): void;
  releaseButton(): void;
  pressButton(ms: number): Promise<void>;
  refuseApiLogins(on: boolean): void;
  hangBoots(on: boolean): void;
  dropOn(rule: DropRuleInput): unknown;
  dropApiSessions(): number;
}

class BadRequest extends Error {}

const MAX_BODY = 4096;
const MAX_PRESS_MS = 60_000;

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) reject(new BadRequest('body too large'));
    });
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(body || '{}');
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw new BadRequest('body must be a JSON object');
        resolve(value as Record<string, unknown>);
      } catch (error) {
        reject(error instanceof BadRequest ? error : new BadRequest('body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * The physical world over loopback HTTP, for people and for processes that cannot hold a
 * SimulatedRouter object: GET /state, POST /power {"on"}, POST /button {"ms"} | {"down"},
 * POST /poe {"port", "poeOut"} | {"port", "powerCycleMs"} on switch profiles, and TEST ONLY
 * POST /faults (see faults()).
 */
export class ControlServer {
  private server: Server | undefined;

  constructor(
    private readonly router: PhysicalControls,
    private readonly host = '127.0.0.1',
    private readonly wantedPort = 0,
  ) {}

  get port(): number {
    if (!this.server) throw new Error('control server not started');
    return (this.server.address() as AddressInfo).port;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        const bad = error instanceof BadRequest;
        this.send(res, bad ? 400 : 500, { error: error instanceof Error ? error.message : String(error) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.wantedPort, this.host, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const routes: Record<string, Record<string, () => Promise<void> | void>> = {
      '/state': { GET: () => undefined },
      '/power': { POST: async () => this.power(await readJson(req)) },
      '/button': { POST: async () => this.button(await readJson(req)) },
      '/poe': { POST: async () => this.poe(await readJson(req)) },
      '/faults': { POST: async () => this.faults(await readJson(req)) },
    };
    const route = routes[path];
    if (!route) return this.send(res, 404, { error: `no such endpoint ${path}` });
    const action = route[req.method ?? 'GET'];
    if (!action) return this.send(res, 405, { error: `${req.method} not allowed on ${path}` });
    await action();
    this.send(res, 200, this.router.state());
  }

  private power(body: Record<string, unknown>): void {
    if (typeof body.on !== 'boolean') throw new BadRequest('expected {"on": true|false}');
    this.router.setPower(body.on);
  }

  private async button(body: Record<string, unknown>): Promise<void> {
    if (typeof body.down === 'boolean') {
      if (body.down) this.router.pressButtonDown();
      else this.router.releaseButton();
      return;
    }
    const ms = body.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > MAX_PRESS_MS) {
      throw new BadRequest(`expected {"ms": 1..${MAX_PRESS_MS}} or {"down": true|false}`);
    }
    await this.router.pressButton(ms);
  }

  /**
   * TEST ONLY faults: {"dropSessions": true}, {"refuseLogins": bool}, {"hangBoot": bool},
   * {"dropOn": {"command", "when"?: "before"|"after", "times"?: n|"unlimited"}}, {"clearRules": true}.
   */
  private faults(body: Record<string, unknown>): void {
    const known = ['dropSessions', 'refuseLogins', 'hangBoot', 'dropOn', 'clearRules'];
    const keys = Object.keys(body);
    if (keys.length === 0 || keys.some((k) => !known.includes(k)))
      throw new BadRequest(`expected one or more of ${known.join(', ')}`);
    const { dropSessions, refuseLogins, hangBoot, dropOn, clearRules } = body;
    if (dropSessions !== undefined && dropSessions !== true) throw new BadRequest('"dropSessions" must be true');
    if (clearRules !== undefined && clearRules !== true) throw new BadRequest('"clearRules" must be true');
    if (refuseLogins !== undefined && typeof refuseLogins !== 'boolean')
      throw new BadRequest('"refuseLogins" must be true or false');
    if (hangBoot !== undefined && typeof hangBoot !== 'boolean')
      throw new BadRequest('"hangBoot" must be true or false');
    let rule: { command: string; when?: 'before' | 'after'; times?: number } | undefined;
    if (dropOn !== undefined) {
      const r = dropOn as Record<string, unknown>;
      const valid =
        typeof dropOn === 'object' &&
        dropOn !== null &&
        typeof r.command === 'string' &&
        r.command !== '' &&
        (r.when === undefined || r.when === 'before' || r.when === 'after') &&
        (r.times === undefined ||
          r.times === 'unlimited' ||
          (typeof r.times === 'number' && Number.isInteger(r.times) && r.times > 0));
      if (!valid)
        throw new BadRequest(
          'expected "dropOn": {"command": "/menu/cmd" or "*", "when"?: ' +
            '"before"|"after", "times"?: integer > 0 or "unlimited"}',
        );
      rule = {
        command: r.command as string,
        ...(r.when ? { when: r.when as 'before' | 'after' } : {}),
        ...(r.times === undefined ? {} : { times: r.times === 'unlimited' ? Infinity : (r.times as number) }),
      };
    }
    if (clearRules) this.router.injected.clearRules();
    if (typeof refuseLogins === 'boolean') this.router.refuseApiLogins(refuseLogins);
    if (typeof hangBoot === 'boolean') this.router.hangBoots(hangBoot);
    if (rule) this.router.dropOn(rule);
    if (dropSessions) this.router.dropApiSessions();
  }

  private poe(body: Record<string, unknown>): void {
    const poe = this.router.poe;
    if (!poe) throw new BadRequest('this model has no PoE ports');
    if (typeof body.port !== 'string' || !poe.has(body.port)) throw new BadRequest('expected "port": a PoE port name');
    if (body.poeOut === 'off' || body.poeOut === 'auto-on' || body.poeOut === 'forced-on')
      poe.set(body.port, body.poeOut);
    else if (typeof body.powerCycleMs === 'number' && body.powerCycleMs > 0)
      poe.powerCycle(body.port, body.powerCycleMs);
    else throw new BadRequest('expected "poeOut": off|auto-on|forced-on or "powerCycleMs": > 0');
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  }
}
