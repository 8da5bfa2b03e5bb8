import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

/**
 * One API port (plain or TLS). It closes while the router is off or booting, so clients
 * see connection refused, and reopens on the same port number afterwards.
 */
export class ApiListener {
  private server: Server | undefined;
  private boundPort: number;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly host: string,
    port: number,
    private readonly onSocket: (socket: Socket) => void,
    private readonly tls?: TlsOptions,
  ) {
    this.boundPort = port;
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = this.tls
      ? createTlsServer(this.tls, (s) => this.onSocket(s))
      : createServer((s) => this.onSocket(s));
    // A TLS handshake failure is the client's problem, not the simulator's.
    server.on('tlsClientError', () => undefined);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.boundPort, this.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (error) {
        // Reopening a fixed port right after closing it can race the kernel briefly.
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const address = server.address();
    if (address && typeof address === 'object') this.boundPort = address.port;
    this.server = server;
  }

  /** Stops accepting and cuts every connection, including TLS handshakes in progress. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
