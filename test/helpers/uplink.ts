/**
 * A site's uplink on loopback: a TCP relay between the site broker's bridge and the central
 * broker that the test can cut and restore. A cut behaves like a real WAN loss, not like a
 * clean close: bytes already on the way vanish, nobody gets a FIN or a reset, and both
 * brokers find out only by their keepalive. New connections during the cut hang unanswered.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class Uplink {
  #server: Server | undefined;
  #pairs = new Set<{ inner: Socket; outer: Socket | undefined }>();
  #cut = false;
  /** Only the site → central half is dropped (acknowledgements lost, orders still arrive). */
  #upOnly = false;
  /** Connections the bridge opened while the link was up (each reconnect adds one). */
  connections = 0;

  constructor(private readonly target: () => number) {}

  get port(): number {
    const address = this.#server?.address();
    if (!address || typeof address === 'string') throw new Error('uplink not listening');
    return address.port;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  async start(): Promise<void> {
    this.#server = createServer((inner) => this.accept(inner));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
  }

  /**
   * The WAN goes away: everything in flight is dropped silently from now on. `up` drops only
   * what the site sends (the worst case for QoS 1: a message arrives, its PUBACK does not).
   */
  cut(direction: 'both' | 'up' = 'both'): void {
    this.#cut = true;
    this.#upOnly = direction === 'up';
  }

  /**
   * The WAN comes back. Connections that lived through the cut are dead on both ends (a real
   * router would answer their next segment with a reset): they are reset now, so the bridge
   * reconnects at once if its keepalive has not noticed yet.
   */
  restore(): void {
    this.#cut = false;
    for (const pair of this.#pairs) {
      pair.inner.resetAndDestroy();
      pair.outer?.resetAndDestroy();
    }
    this.#pairs.clear();
  }

  private accept(inner: Socket): void {
    const pair: { inner: Socket; outer: Socket | undefined } = { inner, outer: undefined };
    this.#pairs.add(pair);
    inner.on('error', () => undefined);
    inner.once('close', () => this.drop(pair));
    if (this.#cut) return; // a SYN into the void: held, never forwarded
    this.connections++;
    const outer = connect({ port: this.target(), host: '127.0.0.1' });
    pair.outer = outer;
    outer.setNoDelay(true);
    inner.setNoDelay(true);
    outer.on('error', () => undefined);
    outer.once('close', () => this.drop(pair));
    inner.on('data', (chunk: Buffer) => {
      if (!this.#cut) outer.write(chunk);
    });
    outer.on('data', (chunk: Buffer) => {
      if (!this.#cut || this.#upOnly) inner.write(chunk);
    });
  }

  private drop(pair: { inner: Socket; outer: Socket | undefined }): void {
    if (this.#cut) return; // a dead link carries no FIN either
    pair.inner.destroy();
    pair.outer?.destroy();
    this.#pairs.delete(pair);
  }

  async stop(): Promise<void> {
    this.restore();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
