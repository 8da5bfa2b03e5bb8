// Shared by the router client tests: a simulated router per test, endpoints for it, and a
// TCP tap between client and router that records what the client sends and can inject
// bytes or reset the connection (things the simulator itself never does).
import { once } from 'node:events';
import { after } from 'node:test';
import { createServer, Socket, type Server } from 'node:net';
import { Secret } from '../../src/config/secret.js';
import type { RouterEndpoint } from '../../src/routeros/endpoint.js';
import { SentenceDecoder } from '../../src/routeros/wire.js';
import { SimulatedRouter, type SimulatedRouterOptions } from '../../src/sim/index.js';

export const PASSWORD = 'test-password';

/** Short physical times for tests that power-cycle a simulated router. */
export const FAST_TIMING = { bootMs: 300, shutdownMs: 200, minOffMs: 200 };

/** Stops pushed here run after the file's tests, last first; a failing one does not stop the rest. */
export function cleanupList(): (() => Promise<unknown>)[] {
  const list: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of list.reverse()) await c().catch(() => undefined);
  });
  return list;
}

/** A started simulated router (on `defaults`, then `options`), stopped with `cleanups`. */
export function routerStarter(cleanups: (() => Promise<unknown>)[], defaults: SimulatedRouterOptions = {}) {
  return async (options: SimulatedRouterOptions = {}): Promise<SimulatedRouter> => {
    const r = await startRouter({ ...defaults, ...options });
    cleanups.push(() => r.stop());
    return r;
  };
}

export async function startRouter(options: SimulatedRouterOptions = {}): Promise<SimulatedRouter> {
  const router = new SimulatedRouter({ user: 'dmconfirm', password: PASSWORD, ...options });
  await router.start();
  return router;
}

export function endpointFor(router: SimulatedRouter, extra: Partial<RouterEndpoint> = {}): RouterEndpoint {
  return {
    host: '127.0.0.1',
    port: router.apiPort,
    username: 'dmconfirm',
    password: new Secret(PASSWORD, 'test'),
    timeoutMs: 5000,
    ...extra,
  };
}

/** Fails the test instead of hanging when a promise never settles (the defect some tests guard against). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing happened within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is true; for states the router reaches asynchronously. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A TCP relay to the router that records client sentences and can misbehave on demand. */
export class TapProxy {
  readonly sent: string[][] = [];
  private server: Server | undefined;
  private listenPort = 0;
  private down = false;
  private readonly pairs = new Set<Pair>();

  constructor(private readonly targetPort: number) {}

  get port(): number {
    if (!this.listenPort) throw new Error('tap not started');
    return this.listenPort;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.relay(client));
    server.listen(this.listenPort, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.listenPort = (server.address() as { port: number }).port;
  }

  private relay(client: Socket): void {
    const upstream = new Socket();
    const pair: Pair = { client, upstream, state: 'live' };
    this.pairs.add(pair);
    const decoder = new SentenceDecoder();
    client.on('data', (chunk: Buffer) => {
      if (pair.state === 'silent') return;
      // A rebooted host answers a segment of a session it forgot with a reset.
      if (pair.state === 'forgotten') return void client.resetAndDestroy();
      for (const s of decoder.push(chunk)) this.sent.push(s);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (pair.state === 'live') client.write(chunk);
    });
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    // The upstream of a silent session may end (the router behind dropped it): the client must not hear of it.
    upstream
      .on('close', () => {
        if (pair.state === 'live') end();
      })
      .on('error', () => undefined);
    upstream.connect(this.targetPort, '127.0.0.1');
  }

  /**
   * A power cut as the client sees it: open sessions go silent (no FIN, no RST) and new
   * connections are refused.
   */
  blackhole(): void {
    this.down = true;
    for (const pair of this.pairs) pair.state = 'silent';
    // Stops listening at once; the silent sessions stay open.
    this.server?.close();
    this.server = undefined;
  }

  /** Power back: new sessions are accepted; old ones are forgotten (reset when the client sends). */
  async restore(): Promise<void> {
    for (const pair of this.pairs) if (pair.state === 'silent') pair.state = 'forgotten';
    this.down = false;
    await this.start();
  }

  get isDown(): boolean {
    return this.down;
  }

  /** Writes raw bytes to every client as if the router had sent them. */
  inject(bytes: Buffer): void {
    for (const { client, state } of this.pairs) if (state === 'live') client.write(bytes);
  }

  /** Sends a TCP RST to every client (what a router's crash or a middlebox can do). */
  resetClients(): void {
    for (const { client, upstream } of [...this.pairs]) {
      client.resetAndDestroy();
      upstream.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Pair {
  client: Socket;
  upstream: Socket;
  state: 'live' | 'silent' | 'forgotten';
}
