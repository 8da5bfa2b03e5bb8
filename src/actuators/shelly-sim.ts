import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Shelly Gen2+ switch's HTTP RPC, for tests, `actuator test` and the demo: `Switch.Set`
 * (with `toggle_after`, run by the device's own timer) and `Switch.GetStatus` on `POST /rpc`,
 * with the devices' SHA-256 digest authentication when a password is set.
 */
export interface ShellySimOptions {
  switches?: number;
  password?: string;
  host?: string;
  port?: number;
  /** Every output switch (a wired load follows it). */
  onSwitch?: (id: number, output: boolean) => void;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const REALM = 'shellyplus1-sim';

export class ShellySim {
  readonly outputs: boolean[];
  readonly switches: Array<{ id: number; output: boolean; at: number; by: 'command' | 'device' }> = [];
  readonly calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  #server: Server | undefined;
  #timers = new Map<number, NodeJS.Timeout>();
  #nonce = randomBytes(8).toString('hex');

  constructor(readonly options: ShellySimOptions = {}) {
    this.outputs = Array.from({ length: options.switches ?? 1 }, () => false);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #set(id: number, output: boolean, by: 'command' | 'device'): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    if (this.outputs[id] === output) return;
    this.outputs[id] = output;
    this.switches.push({ id, output, at: performance.now(), by });
    this.options.onSwitch?.(id, output);
  }

  #authorized(req: IncomingMessage): boolean {
    if (!this.options.password) return true;
    const header = req.headers.authorization ?? '';
    const field = (name: string): string => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(header)?.[1] ?? '';
    if (field('nonce') !== this.#nonce || field('username') !== 'admin') return false;
    const ha1 = sha256(`admin:${REALM}:${this.options.password}`);
    const expected = sha256(`${ha1}:${this.#nonce}:${field('nc')}:${field('cnonce')}:auth:${sha256(`${req.method}:${field('uri')}`)}`);
    return field('response') === expected;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const reply = (status: number, payload: object, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    if (req.method !== 'POST' || req.url !== '/rpc') return reply(404, { error: { code: 404, message: 'not found' } });
    if (!this.#authorized(req)) {
      return reply(401, { code: 401, message: 'Unauthorized' }, { 'www-authenticate': `Digest qop="auth", realm="${REALM}", nonce="${this.#nonce}", algorithm=SHA-256` });
    }
    const frame = JSON.parse(body) as { id?: number; method?: string; params?: Record<string, unknown> };
    const params = frame.params ?? {};
    this.calls.push({ method: frame.method ?? '', params });
    const id = Number(params.id ?? 0);
    if (!(id in this.outputs)) return reply(200, { id: frame.id, error: { code: -105, message: `Argument 'id', value ${id} not found!` } });
    if (frame.method === 'Switch.GetStatus') return reply(200, { id: frame.id, result: { id, output: this.outputs[id] } });
    if (frame.method !== 'Switch.Set' || typeof params.on !== 'boolean') return reply(200, { id: frame.id, error: { code: -103, message: 'Invalid argument' } });
    const wasOn = this.outputs[id];
    this.#set(id, params.on, 'command');
    const toggleAfter = Number(params.toggle_after ?? 0);
    if (toggleAfter > 0) {
      const back = !params.on;
      this.#timers.set(id, setTimeout(() => this.#set(id, back, 'device'), toggleAfter * 1000));
    }
    reply(200, { id: frame.id, result: { was_on: wasOn } });
  }
}
