/**
 * An in-process MQTT broker (aedes) on an ephemeral loopback port, for the demo: a fresh
 * clone runs without mosquitto. aedes 1.2 speaks MQTT 3.1.1 only (it refuses protocol 5
 * with CONNACK code 1; see test/mqtt/embedded-broker.test.ts), so everything talking to
 * it must use protocolVersion 4. Production and the end-to-end tests use mosquitto.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export const EMBEDDED_BROKER_PROTOCOL = 4 as const;

export class EmbeddedBroker {
  #broker: Aedes | undefined;
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly host = '127.0.0.1') {}

  get port(): number {
    return this.#port;
  }

  get url(): string {
    if (this.#port === 0) throw new Error('embedded broker not started');
    return `mqtt://${this.host}:${this.#port}`;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.setNoDelay(true); // as set_tcp_nodelay in the mosquitto configs
      socket.once('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
    this.#broker = broker;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const broker = this.#broker;
    this.#server = undefined;
    this.#broker = undefined;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
