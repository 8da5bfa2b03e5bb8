// A deliberately bare API client for simulator tests: real sockets, our wire codec, no retries.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { encodeSentence, parseAttributes, SentenceDecoder } from '../../src/routeros/wire.js';

export type Sentence = string[];

export class RawClient {
  readonly sentences: Sentence[] = [];
  closed = false;
  private readonly decoder = new SentenceDecoder();
  private waiters: Array<() => void> = [];
  chunks = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks++;
      this.sentences.push(...this.decoder.push(chunk));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, tls?: ConnectionOptions): Promise<RawClient> {
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port, ...tls }) : connect(port, '127.0.0.1');
    await once(socket, tls ? 'secureConnect' : 'connect');
    return new RawClient(socket);
  }

  static async login(port: number, user = 'admin', password = ''): Promise<RawClient> {
    const c = await RawClient.open(port);
    const reply = await c.call(['/login', `=name=${user}`, `=password=${password}`]);
    if (reply[0]?.[0] !== '!done') throw new Error(`login failed: ${JSON.stringify(reply)}`);
    return c;
  }

  send(words: string[]): void {
    this.socket.write(encodeSentence(words));
  }

  /** Waits until `pred` holds over the sentences received so far (or the socket closed). */
  async until(pred: (s: Sentence[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.sentences)) {
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.sentences)}`);
      if (Date.now() > deadline) throw new Error(`timeout; got ${JSON.stringify(this.sentences)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Replies carrying `.tag=tag` (or untagged ones when tag is undefined). */
  tagged(tag: string | undefined): Sentence[] {
    return this.sentences.filter(
      (s) => s.find((w) => w.startsWith('.tag=')) === (tag === undefined ? undefined : `.tag=${tag}`),
    );
  }

  /** Sends a command with a fresh tag and waits for its `!done` (or `!fatal`). */
  async call(words: string[], timeoutMs?: number): Promise<Sentence[]> {
    const tag = String(++RawClient.seq);
    this.send([...words, `.tag=${tag}`]);
    await this.until(
      (all) => all.some((s) => s[0] === '!fatal') || this.tagged(tag).some((s) => s[0] === '!done'),
      timeoutMs,
    );
    return this.tagged(tag).map((s) => s.filter((w) => !w.startsWith('.tag=')));
  }

  async waitClosed(timeoutMs = 20_000): Promise<void> {
    if (this.closed) return;
    await Promise.race([
      once(this.socket, 'close'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('socket did not close')), timeoutMs).unref()),
    ]);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private static seq = 0;
}

export function attrs(sentence: Sentence | undefined): Record<string, string> {
  return parseAttributes(sentence ?? []);
}

import type { TestContext } from 'node:test';
import { SimulatedRouter, type SimulatedRouterOptions } from '../../src/sim/index.js';

/** A started router (fast clock unless told otherwise) that is stopped when the test ends. */
export async function startRouter(t: TestContext, options: SimulatedRouterOptions = {}): Promise<SimulatedRouter> {
  const router = new SimulatedRouter({ controlPort: false, timeScale: 0.01, ...options });
  await router.start();
  t.after(() => router.stop());
  return router;
}

export async function loginTo(t: TestContext, router: SimulatedRouter): Promise<RawClient> {
  const c = await RawClient.login(router.apiPort);
  t.after(() => c.close());
  return c;
}
