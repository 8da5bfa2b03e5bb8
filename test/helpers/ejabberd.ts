/**
 * A throwaway ejabberd cluster (Debian's `ejabberd` package, its MQTT broker `mod_mqtt`) for
 * the clustered-broker experiment in docs/fleets.md: every node in its own temp dir, on
 * loopback, with its own MQTT port, a private epmd port and a random cookie, so nothing
 * touches the packaged service (/etc/ejabberd, /var/lib/ejabberd). Nodes are joined with
 * `join_cluster` (Mnesia replication over Erlang distribution). The configuration carries the
 * contract's per-agent rules (docs/fleets.md) in mod_mqtt's own ACL language.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { reapOnExit } from './child-reaper.js';
import { freePort, waitFor } from './mosquitto.js';
import { CONTRACT_ACCESS } from './ejabberd-acl.js';

const CTL = '/usr/sbin/ejabberdctl';

/** Where Debian's ejabberdctl finds ejabberd's Erlang applications; undefined when the package is missing. */
export function ejabberdLibs(): string | undefined {
  if (!existsSync(CTL)) return undefined;
  return /^ERL_LIBS='([^']+)'/m.exec(readFileSync(CTL, 'utf8'))?.[1];
}

export function ejabberdVersion(): string {
  return spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'ejabberd'], { encoding: 'utf8' }).stdout.trim();
}

export class EjabberdCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'dmconfirm-ejabberd-'));
  readonly ports: number[] = [];
  readonly #cookie = randomBytes(12).toString('hex');
  readonly #tag = randomBytes(3).toString('hex');
  readonly #nodes: ChildProcess[] = [];
  #epmd: ChildProcess | undefined;
  #env: NodeJS.ProcessEnv = {};

  constructor(readonly size = 2) {}

  url(node: number): string {
    return `mqtt://127.0.0.1:${this.ports[node]}`;
  }

  name(node: number): string {
    return `dmc${this.#tag}n${node}@localhost`;
  }

  log(node: number): string {
    const path = join(this.dir, `n${node}`, 'ejabberd.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  async start(): Promise<void> {
    const libs = ejabberdLibs();
    if (!libs) throw new Error('ejabberd is not installed (apt-get install ejabberd)');
    const epmdPort = await freePort();
    this.#env = {
      ...process.env,
      ERL_LIBS: libs,
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_INETRC: this.#write('inetrc', '{host,{127,0,0,1}, ["localhost"]}.\n{lookup,[file]}.\n'),
    };
    this.#epmd = reapOnExit(spawn('epmd', ['-port', String(epmdPort)], { env: this.#env, stdio: 'ignore' }));
    // Ours must answer before a node starts, or erl would start a daemon epmd of its own that outlives us.
    const names = () => spawnSync('epmd', ['-port', String(epmdPort), '-names'], { env: this.#env }).status === 0;
    await waitFor(() => (names() ? true : undefined), 'epmd', 15_000);
    for (let n = 0; n < this.size; n++) {
      this.ports.push(await freePort());
      await this.#startNode(n);
    }
    for (let n = 1; n < this.size; n++) this.ctl(n, 'join_cluster', this.name(0));
    const members = this.ctl(0, 'list_cluster');
    for (let n = 0; n < this.size; n++) {
      if (!members.includes(this.name(n))) throw new Error(`${this.name(n)} did not join: ${members}`);
    }
  }

  /** Creates an MQTT login (an ejabberd user on host localhost); the users table is replicated. */
  register(username: string, password: string): void {
    this.ctl(0, 'register', username, 'localhost', password);
  }

  /** Runs an ejabberdctl command against node `n` (the way ejabberdctl does it, without its su to the service user). */
  ctl(n: number, ...args: string[]): string {
    const out = spawnSync(
      'erl',
      [
        ...this.#erlArgs(`ctl${randomBytes(3).toString('hex')}@localhost`),
        '-hidden',
        '-s',
        'ejabberd_ctl',
        '-extra',
        this.name(n),
        ...args,
      ],
      { env: this.#env, encoding: 'utf8', timeout: 60_000 },
    );
    if (out.status !== 0)
      throw new Error(`ejabberdctl ${args.join(' ')} on ${this.name(n)}: ${out.stdout}${out.stderr}`);
    return out.stdout;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#nodes.map((child) => stopChild(child)));
    if (this.#epmd) await stopChild(this.#epmd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  #write(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  #erlArgs(name: string): string[] {
    return [
      '-sname',
      name,
      '-setcookie',
      this.#cookie,
      '-noinput',
      '-kernel',
      'inet_dist_use_interface',
      '{127,0,0,1}',
    ];
  }

  async #startNode(n: number): Promise<void> {
    const dir = join(this.dir, `n${n}`);
    const config = this.#write(`n${n}.yml`, stringify(nodeConfig(this.ports[n]!), { defaultKeyType: 'QUOTE_DOUBLE' }));
    const child = spawn('erl', [...this.#erlArgs(this.name(n)), '-mnesia', 'dir', `"${dir}"`, '-s', 'ejabberd'], {
      env: {
        ...this.#env,
        EJABBERD_CONFIG_PATH: config,
        EJABBERD_LOG_PATH: join(dir, 'ejabberd.log'),
        ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
      },
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    reapOnExit(child);
    this.#nodes.push(child);
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`ejabberd node ${n} exited with ${child.exitCode}: ${output}`);
        return this.log(n).includes('for mod_mqtt') ? true : undefined;
      },
      `ejabberd node ${n}: ${output}`,
      60_000,
    );
  }
}

function nodeConfig(port: number): Record<string, unknown> {
  return {
    hosts: ['localhost'],
    loglevel: 'info',
    log_rotate_count: 0,
    auth_method: ['internal'],
    ...CONTRACT_ACCESS.rules,
    listen: [{ port, ip: '127.0.0.1', module: 'mod_mqtt', backlog: 1000 }],
    modules: {
      // Agents ask for 1 day (mqtt.sessionExpirySeconds), the rollout coordinator for 7; the default cap is 5 min.
      mod_mqtt: { session_expiry: '7 days', max_queue: 100000, ...CONTRACT_ACCESS.mqtt },
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
