import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

/**
 * A Raritan PX (JSON-RPC on /model/outlet/<i>) or a Netio (JSON on /netio.json) PDU over
 * HTTPS with a self-signed certificate and HTTP basic auth, for tests, `actuator test` and
 * the demo. Cycles and short-offs are timed by the simulated PDU itself.
 */
export interface JsonPduSimOptions {
  kind: 'raritan' | 'netio';
  outlets?: number;
  host?: string;
  port?: number;
  username: string;
  password: string;
  /** The PDU's default cycle delay in seconds (Raritan), before anyone sets it. */
  cycleDelaySeconds?: number;
  onSwitch?: (outlet: number, on: boolean) => void;
}

interface Outlet {
  on: boolean;
  cycleDelay: number;
  /** Raritan Outlet.Settings: true (the factory state) = the PDU-wide delay applies, not cycleDelay. */
  usePduCycleDelay: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class JsonPduSim {
  readonly outlets: Outlet[];
  /** Outlets are 1-based here, as printed on the PDU. */
  readonly switches: Array<{ outlet: number; on: boolean; at: number; by: 'command' | 'device' }> = [];
  readonly requests: Array<{ path: string; body: string }> = [];
  fingerprint256 = '';
  #server: Server | undefined;

  constructor(readonly options: JsonPduSimOptions) {
    this.outlets = Array.from({ length: options.outlets ?? 8 }, () => ({
      on: true,
      cycleDelay: 10,
      usePduCycleDelay: true,
      timer: undefined,
    }));
  }

  get url(): string {
    return `https://127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    const pems = await generate([{ name: 'commonName', value: `${this.options.kind}-sim` }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    this.fingerprint256 = new X509Certificate(pems.cert).fingerprint256;
    const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => void this.#handle(req, res));
    this.#server = server;
    await new Promise<void>((resolve) =>
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve),
    );
  }

  async stop(): Promise<void> {
    for (const outlet of this.outlets) clearTimeout(outlet.timer);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #set(index: number, on: boolean, by: 'command' | 'device'): void {
    const outlet = this.outlets[index]!;
    clearTimeout(outlet.timer);
    outlet.timer = undefined;
    if (outlet.on === on) return;
    outlet.on = on;
    this.switches.push({ outlet: index + 1, on, at: performance.now(), by });
    this.options.onSwitch?.(index + 1, on);
  }

  #offFor(index: number, ms: number): void {
    this.#set(index, false, 'command');
    this.outlets[index]!.timer = setTimeout(() => this.#set(index, true, 'device'), ms);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    this.requests.push({ path: req.url ?? '', body });
    const send = (status: number, payload: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    const expected = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, { error: 'unauthorized' });
    if (this.options.kind === 'netio') return this.#netio(req.method ?? '', req.url ?? '', body, send);
    return this.#raritan(req.url ?? '', body, send);
  }

  #netio(method: string, path: string, body: string, send: (status: number, payload: unknown) => void): void {
    if (path !== '/netio.json') return send(404, {});
    if (method === 'POST') {
      const request = JSON.parse(body) as { Outputs?: Array<{ ID: number; Action: number; Delay?: number }> };
      for (const { ID, Action, Delay } of request.Outputs ?? []) {
        const index = ID - 1;
        if (!this.outlets[index]) return send(400, {});
        if (Action === 0 || Action === 1) this.#set(index, Action === 1, 'command');
        else if (Action === 2) this.#offFor(index, Delay ?? 5000);
      }
    }
    send(200, {
      Agent: { Model: 'NETIO 4All (sim)', JSONVer: '2.1' },
      Outputs: this.outlets.map((o, i) => ({
        ID: i + 1,
        Name: `output_${i + 1}`,
        State: o.on ? 1 : 0,
        Action: 6,
        Delay: 5000,
      })),
    });
  }

  #raritan(path: string, body: string, send: (status: number, payload: unknown) => void): void {
    const index = Number(/^\/model\/outlet\/(\d+)$/.exec(path)?.[1] ?? -1);
    const outlet = this.outlets[index];
    const rpc = JSON.parse(body) as { id?: number; method?: string; params?: Record<string, unknown> };
    const ok = (ret: unknown): void => send(200, { jsonrpc: '2.0', id: rpc.id, result: { _ret_: ret } });
    if (!outlet) return send(404, { jsonrpc: '2.0', id: rpc.id, error: { code: -32601, message: 'no such object' } });
    const delay = outlet.usePduCycleDelay ? (this.options.cycleDelaySeconds ?? 10) : outlet.cycleDelay;
    switch (rpc.method) {
      case 'getState':
        return ok({ available: true, powerState: outlet.on ? 1 : 0, cycleInProgress: outlet.timer !== undefined });
      case 'getSettings':
        // The fields of pdumodel.Outlet.Settings (Raritan JSON-RPC SDK, idl/Outlet.idl).
        return ok({
          name: `outlet ${index + 1}`,
          startupState: 3,
          usePduCycleDelay: outlet.usePduCycleDelay,
          cycleDelay: outlet.cycleDelay,
          nonCritical: false,
          sequenceDelay: 200,
        });
      case 'setSettings': {
        const settings = (rpc.params?.settings ?? {}) as { cycleDelay?: unknown; usePduCycleDelay?: unknown };
        // ERR_INVALID_PARAM
        if (typeof settings.cycleDelay !== 'number' || typeof settings.usePduCycleDelay !== 'boolean') return ok(1);
        outlet.cycleDelay = settings.cycleDelay;
        outlet.usePduCycleDelay = settings.usePduCycleDelay;
        return ok(0);
      }
      case 'setPowerState':
        this.#set(index, rpc.params?.pstate === 1, 'command');
        return ok(0);
      case 'cyclePowerState':
        this.#offFor(index, delay * 1000);
        return ok(0);
      default:
        return send(200, { jsonrpc: '2.0', id: rpc.id, error: { code: -32601, message: 'Method not found' } });
    }
  }
}
