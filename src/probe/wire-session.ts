import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { encodeSentence, SentenceDecoder } from '../routeros/wire.js';
import type { ProbeReport } from './report.js';

export interface ProbeTarget {
  host: string;
  port: number;
  /** api-ssl, pinned to this SHA-256 certificate fingerprint (hex, colons optional). */
  tls?: { fingerprint: string };
  user: string;
  password: string;
  connectTimeoutMs?: number;
}

type Evidence = ProbeReport['evidence'];
export type Sentence = string[];

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

const normalise = (fp: string) => fp.replace(/[^0-9a-f]/gi, '').toUpperCase();

/**
 * A bare API session for the probe: it must see sentences exactly as the router sends them
 * (word order, `!empty`, traps), so it sits on the wire codec, not on a client library. Every
 * sentence both ways goes into the shared evidence log.
 */
export class WireSession {
  private readonly decoder = new SentenceDecoder();
  private readonly received: Array<{ atMs: number; words: Sentence }> = [];
  private waiters: Array<() => void> = [];
  private nextTag = 0;
  closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly name: string,
    private readonly log: Evidence,
    private readonly started: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const words of this.decoder.push(chunk)) {
        const atMs = Date.now() - started;
        this.received.push({ atMs, words });
        log.push({ atMs, session: name, dir: 'received', words: redact(words) });
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(target: ProbeTarget, name: string, log: Evidence, started: number): Promise<WireSession> {
    const timeoutMs = target.connectTimeoutMs ?? 10_000;
    const socket = target.tls
      ? tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false })
      : connect(target.port, target.host);
    const timer = setTimeout(
      () => socket.destroy(new ProbeError(`no connection to ${target.host}:${target.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await once(socket, target.tls ? 'secureConnect' : 'connect');
    } catch (error) {
      throw new ProbeError(`cannot connect to ${target.host}:${target.port}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (target.tls) {
      const got = normalise((socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '');
      if (got !== normalise(target.tls.fingerprint)) {
        socket.destroy();
        throw new ProbeError(`certificate fingerprint ${got} is not the pinned ${normalise(target.tls.fingerprint)}`);
      }
    }
    const session = new WireSession(socket, name, log, started);
    const reply = await session.call(['/login', `=name=${target.user}`, `=password=${target.password}`]);
    if (reply.some((s) => s[0] === '!trap' || s[0] === '!fatal')) {
      session.close();
      throw new ProbeError(`login as ${target.user} refused: ${reply.map((s) => s.join(' ')).join(' | ')}`);
    }
    return session;
  }

  /** Sends a command with a fresh tag (returned), without waiting. */
  send(words: string[]): string {
    const tag = `${this.name}${++this.nextTag}`;
    const sentence = [...words, `.tag=${tag}`];
    this.log.push({ atMs: Date.now() - this.started, session: this.name, dir: 'sent', words: redact(sentence) });
    this.socket.write(encodeSentence(sentence));
    return tag;
  }

  /** The replies carrying `tag`, in order, with the time each came. */
  repliesTo(tag: string): Array<{ atMs: number; words: Sentence }> {
    return this.received.filter((r) => r.words.includes(`.tag=${tag}`));
  }

  finished(tag: string): boolean {
    return (
      this.repliesTo(tag).some((r) => r.words[0] === '!done') || this.received.some((r) => r.words[0] === '!fatal')
    );
  }

  /** Waits until the command's `!done` (true), or until the time is up or the connection closed (false). */
  async settle(tag: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.finished(tag)) {
      if (this.closed || Date.now() >= deadline) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** Sends and waits for `!done`; the replies without their tag word (ProbeError on a timeout). */
  async call(words: string[], timeoutMs = 10_000): Promise<Sentence[]> {
    const tag = this.send(words);
    if (!(await this.settle(tag, timeoutMs))) {
      throw new ProbeError(`${words[0]}: no answer within ${timeoutMs} ms${this.closed ? ' (connection closed)' : ''}`);
    }
    return this.repliesTo(tag).map((r) => r.words.filter((w) => w !== `.tag=${tag}`));
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end(encodeSentence(['/quit']));
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Passwords never go into a report; long words are cut (their length kept). */
function redact(words: Sentence): Sentence {
  return words.map((w) => {
    if (w.startsWith('=password=')) return '=password=(redacted)';
    return w.length > 200 ? `${w.slice(0, 60)}...(${w.length} chars)` : w;
  });
}
