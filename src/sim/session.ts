import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { encodeWord, parseAttributes, SentenceFramer, WireFormatError } from '../routeros/wire.js';
import { compileQuery, selectRows } from './commands/query.js';
import type { CommandContext, CommandDevice, CommandHandler, CommandReply, CommandTable } from './commands/types.js';
import type { DeviceModeEngine } from './device-mode-engine.js';
import { ConnectionDropped, RosFatal, RosTrap, TRAP_CATEGORY } from './errors.js';
import type { InjectedFaults } from './faults.js';
import { answersWithChallenge, newChallenge } from './login.js';

export type SplitReplies = false | 'bytes' | 'random';

/** What an API session needs of the device (the simulated router implements it). */
export interface SessionHost {
  readonly commands: CommandTable;
  readonly deviceMode: DeviceModeEngine;
  readonly injected: InjectedFaults;
  readonly splitReplies: SplitReplies;
  /** The device as command handlers see it. */
  readonly device: CommandDevice;
  /** With `challenge`, `response` is checked instead of the password (pre-6.45.1 login). */
  checkLogin(name: string, password: string, challenge?: { challenge: string; response: string }): boolean;
}

class Interrupted extends Error {}

/**
 * One API connection: login first, then commands run concurrently (each may carry a
 * `.tag`), `/cancel` interrupts them, and replies go out whole or deliberately cut.
 */
export class ApiSession {
  /** Byte-transparent like RouterOS: words keep their bytes (UTF-8, cp1252, ...) one char per byte. */
  private readonly decoder = new SentenceFramer();
  private loggedIn = false;
  private readonly running = new Map<string, { controller: AbortController; answered: Promise<void> }>();
  private writeChain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set by an injected fault: nothing more is written before the reset. */
  private muted = false;
  private untagged = 0;
  /** The challenge of a pre-6.45.1 login in progress (see login.ts). */
  private challenge: string | undefined;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly router: SessionHost,
    private readonly log: Logger,
    private readonly onClose: (session: ApiSession) => void,
  ) {}

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.log.debug({ err: error }, 'api socket error'));
    this.socket.on('close', () => this.finish());
  }

  /** Drops the connection at once, as a reboot or power cut does. */
  drop(): void {
    this.finish('device');
    this.socket.destroy();
  }

  /**
   * TEST ONLY fault: a TCP reset, as a network fault would cut the connection. The router
   * sees its client gone (what that does to a pending update is `abandonedUpdate`).
   */
  resetConnection(): void {
    if (this.closed || this.socket.destroyed) return;
    this.router.injected.drops += 1;
    this.muted = true;
    this.socket.resetAndDestroy();
    this.finish('client');
  }

  /** Abort reason 'device' (reboot, power) lets handlers tell it from a client leaving. */
  private finish(reason: 'client' | 'device' = 'client'): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.running.values()) r.controller.abort(reason);
    this.running.clear();
    this.onClose(this);
  }

  private onData(chunk: Buffer): void {
    let sentences: string[][];
    try {
      sentences = this.decoder.push(chunk).map((s) => s.words);
    } catch (error) {
      if (!(error instanceof WireFormatError)) throw error;
      this.fatal(`malformed sentence: ${error.message}`);
      return;
    }
    for (const words of sentences) {
      this.handle(words).catch((error: unknown) => {
        this.log.error({ err: error }, 'unexpected simulator error');
        this.fatal('internal error');
      });
    }
  }

  private async handle(words: string[]): Promise<void> {
    const [command, ...rest] = words;
    if (command === undefined || this.closed) return;
    const tag = rest.find((w) => w.startsWith('.tag='))?.slice(5);
    const tagged = tag === undefined ? [] : [`.tag=${tag}`];
    // `.tag` directly after the reply word, as real routers send it (clients rely on that).
    const reply = (type: string, fields: Record<string, string> = {}) =>
      this.send([type, ...tagged, ...Object.entries(fields).map(([k, v]) => `=${k}=${v}`)]);
    const attrs = parseAttributes(rest);

    // Optional behaviour: while a change is pending, other sessions get no answer at all.
    const engine = this.router.deviceMode;
    while (
      this.router.device.behaviour.stallOthersWhilePending &&
      engine.pending &&
      engine.pending.sessionId !== this.id
    ) {
      await engine.whenIdle();
      if (this.closed) return;
    }

    if (command === '/quit') {
      this.fatal('session terminated on request');
      return;
    }
    if (command === '/login') {
      if (this.router.injected.refuseLogins) {
        this.resetConnection();
        return;
      }
      if (answersWithChallenge(this.router.device.routerosVersion, attrs)) {
        this.challenge = newChallenge();
        reply('!done', { ret: this.challenge });
        return;
      }
      const response =
        attrs.response !== undefined && this.challenge !== undefined
          ? { challenge: this.challenge, response: attrs.response }
          : undefined;
      if (attrs.name !== undefined && this.router.checkLogin(attrs.name, attrs.password ?? '', response)) {
        this.loggedIn = true;
        reply('!done');
      } else {
        reply('!trap', { message: 'invalid user name or password (6)' });
        reply('!done');
      }
      return;
    }
    if (!this.loggedIn) {
      reply('!trap', { message: 'not logged in' });
      reply('!done');
      return;
    }
    const dropRule = this.router.injected.take(command);
    if (dropRule?.when === 'before') {
      this.resetConnection();
      return;
    }
    if (dropRule?.when === 'after') {
      // The command starts (an update is then pending), its answer never goes out, and the
      // connection is reset once the handler has run its first step.
      this.muted = true;
      setImmediate(() => this.resetConnection());
    }
    if (command === '/cancel') {
      await this.cancel(attrs.tag, reply);
      return;
    }
    await this.run(
      command,
      attrs,
      rest.filter((w) => w.startsWith('?')),
      tag,
      reply,
    );
  }

  private async cancel(
    tag: string | undefined,
    reply: (type: string, fields?: Record<string, string>) => void,
  ): Promise<void> {
    const targets =
      tag === undefined ? [...this.running.values()] : [this.running.get(tag)].filter((r) => r !== undefined);
    // Nothing to cancel (unknown or finished tag): a bare `!done`. Old clients (mikronode) send
    // `/cancel` after every finished command and would crash on an untagged `!trap` here.
    // The interrupted commands answer (!trap, !done) first, then /cancel its own !done.
    for (const r of targets) r.controller.abort();
    await Promise.all(targets.map((r) => r.answered));
    reply('!done');
  }

  private async run(
    command: string,
    attrs: Record<string, string>,
    queries: string[],
    tag: string | undefined,
    reply: (type: string, fields?: Record<string, string>) => void,
  ): Promise<void> {
    const handler = this.handlerFor(command);
    if (!handler) {
      reply('!trap', { message: this.unknownCommandMessage(command) });
      reply('!done');
      return;
    }
    const key = tag ?? `#untagged-${++this.untagged}`;
    const controller = new AbortController();
    let markAnswered = () => {};
    const answered = new Promise<void>((resolve) => {
      markAnswered = resolve;
    });
    this.running.set(key, { controller, answered });
    const interrupted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(new Interrupted()), { once: true });
    });
    interrupted.catch(() => undefined);
    const ctx: CommandContext = {
      router: this.router.device,
      sessionId: this.id,
      command,
      attrs,
      queries,
      signal: controller.signal,
      progress: (row) => {
        if (!controller.signal.aborted) reply('!re', row);
      },
    };
    try {
      const result = await Promise.race([Promise.resolve().then(() => handler(ctx)), interrupted]);
      this.running.delete(key);
      this.answer(result ?? {}, attrs, queries, reply);
    } catch (error) {
      this.running.delete(key);
      if (error instanceof Interrupted) {
        reply('!trap', { category: String(TRAP_CATEGORY.interrupted), message: 'interrupted' });
        reply('!done');
      } else if (error instanceof RosTrap) {
        reply(
          '!trap',
          error.category === undefined
            ? { message: error.message }
            : { category: String(error.category), message: error.message },
        );
        reply('!done');
      } else if (error instanceof RosFatal) {
        this.fatal(error.message);
      } else if (!(error instanceof ConnectionDropped)) {
        throw error;
      }
    } finally {
      markAnswered();
    }
  }

  /** `getall` is the older name of `print`, still answered wherever `print` exists. */
  private handlerFor(command: string): CommandHandler | undefined {
    const own = this.router.commands[command];
    if (own || !command.endsWith('/getall')) return own;
    return this.router.commands[`${command.slice(0, -'getall'.length)}print`];
  }

  private answer(
    result: CommandReply,
    attrs: Record<string, string>,
    queries: string[],
    reply: (type: string, fields?: Record<string, string>) => void,
  ): void {
    if (result.rows && attrs['count-only'] !== undefined) {
      reply('!done', { ret: String(result.rows.filter(compileQuery(queries)).length) });
    } else if (result.rows) {
      const rows = selectRows(result.rows, queries, attrs['.proplist']);
      for (const row of rows) reply('!re', row);
      if (rows.length === 0 && this.router.device.behaviour.emptyReplies) reply('!empty');
      reply('!done');
    } else if (result.ret !== undefined) {
      reply('!done', { ret: result.ret });
    } else {
      reply('!done');
    }
  }

  /** RouterOS tells an unknown menu ("prefix") from an unknown command in a known menu. */
  private unknownCommandMessage(command: string): string {
    const menu = command.slice(0, command.lastIndexOf('/') + 1);
    const known = Object.keys(this.router.commands).some((c) => c.startsWith(menu));
    return known && menu !== '/' ? 'no such command' : 'no such command prefix';
  }

  private fatal(message: string): void {
    this.send(['!fatal', message]);
    void this.writeChain.then(() => this.socket.end());
    this.finish();
  }

  private send(words: string[]): void {
    if (this.closed || this.muted || this.socket.destroyed) return;
    const bytes = Buffer.concat([...words.map((w) => encodeWord(Buffer.from(w, 'latin1'))), Buffer.from([0])]);
    const split = this.router.splitReplies;
    if (!split) {
      this.socket.write(bytes);
      return;
    }
    this.writeChain = this.writeChain.then(() => this.writeInPieces(bytes, split)).catch(() => undefined);
  }

  /** Cuts a sentence into several TCP writes with short real pauses, so clients see partial sentences. */
  private async writeInPieces(bytes: Buffer, mode: 'bytes' | 'random'): Promise<void> {
    const cuts =
      mode === 'bytes'
        ? Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)
        : [
            ...new Set(
              Array.from(
                { length: 1 + Math.floor(Math.random() * 4) },
                () => 1 + Math.floor(Math.random() * (bytes.length - 1)),
              ),
            ),
          ].sort((a, b) => a - b);
    let prev = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (this.socket.destroyed) return;
      this.socket.write(bytes.subarray(prev, cut));
      prev = cut;
      if (cut < bytes.length) await new Promise((r) => setTimeout(r, mode === 'bytes' ? 0 : 2));
    }
  }
}
