/**
 * A real unix datagram listener standing in for systemd's notification socket: a small
 * python3 process bound to a temp path prints each datagram it receives as a JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './mosquitto.js';
import { reapOnExit } from './child-reaper.js';

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("bound"), flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

export class NotifyListener {
  readonly datagrams: string[] = [];
  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<NotifyListener> {
    const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-notify-'));
    const path = join(dir, 'notify.sock');
    const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    reapOnExit(child);
    const listener = new NotifyListener(path, dir, child);
    let bound = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const text = JSON.parse(line) as string;
      if (text === 'bound') bound = true;
      // systemd-notify's BARRIER=1 handshake is transport, not one of our messages.
      else if (text !== 'BARRIER=1') listener.datagrams.push(text);
    });
    await waitFor(() => (bound ? true : undefined), 'notify listener bound');
    return listener;
  }

  waitFor(predicate: (d: string) => boolean, what: string): Promise<string> {
    return waitFor(() => this.datagrams.find(predicate), what);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
