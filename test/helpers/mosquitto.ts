/**
 * A real mosquitto for tests: its own config and persistence in a temp dir, on a free
 * loopback port, killed when the test process exits whatever happens. restart() keeps
 * the port and (unless wiped) the persisted sessions and queued QoS 1 messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { reapOnExit } from './child-reaper.js';

export interface MosquittoOptions {
  /** Extra mosquitto.conf lines (acl_file, password_file, ...); placed in the listener section. */
  extraConfig?: string[];
  persistence?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export class Mosquitto {
  readonly dir: string;
  /** mosquitto.conf lines for the listener (auth, ACL); may be changed before start(). */
  readonly extraConfig: string[];
  #child: ChildProcess | undefined;
  #port = 0;

  constructor(private readonly options: MosquittoOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'dmconfirm-mosquitto-'));
    this.extraConfig = [...(options.extraConfig ?? ['allow_anonymous true'])];
  }

  get port(): number {
    return this.#port;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.#port}`;
  }

  get log(): string {
    const path = join(this.dir, 'mosquitto.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** Writes a file into the broker's temp dir (ACLs, password files) and returns its path. */
  writeFile(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  async start(): Promise<void> {
    if (this.#port === 0) this.#port = await freePort();
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        // Stay the user we are: as root mosquitto would switch to "mosquitto" and lose the temp dir.
        `user ${userInfo().username}`,
        `persistence ${this.options.persistence === false ? 'false' : 'true'}`,
        `persistence_location ${this.dir}/`,
        'autosave_interval 1',
        `log_dest file ${join(this.dir, 'mosquitto.log')}`,
        'log_type all',
        'per_listener_settings false',
        'set_tcp_nodelay true',
        `listener ${this.#port} 127.0.0.1`,
        ...this.extraConfig,
        '',
      ].join('\n'),
    );
    const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    reapOnExit(child);
    this.#child = child;
    const deadline = Date.now() + 15_000;
    while (!(await accepts(this.#port))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}${this.log}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${this.#port}: ${stderr}${this.log}`);
      await sleep(50);
    }
  }

  /** Clean shutdown (SIGTERM): mosquitto saves its persistence file on the way out. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async restart({ wipe = false }: { wipe?: boolean } = {}): Promise<void> {
    await this.stop();
    if (wipe) rmSync(join(this.dir, 'mosquitto.db'), { force: true });
    await this.start();
  }

  /** Stops the broker and removes its temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the first value `probe` returns that is not undefined, polling; rejects after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
