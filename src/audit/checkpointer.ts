/**
 * Signs a checkpoint of the audit log now and then and hands it to a publisher (the agent
 * publishes it retained on <agent>/audit/checkpoint). Only a head that moved is signed
 * again; stop() signs the final head so a clean shutdown leaves nothing uncovered.
 */
import { createPrivateKey } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Secret } from '../config/secret.js';
import { signingKeyFrom, type SigningKey } from '../trust/keys.js';
import type { AuditLog } from './audit-log.js';
import { makeCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';

export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  jws: string;
}

export interface CheckpointerOptions {
  agent: string;
  key: SigningKey;
  publish: (signed: SignedCheckpoint) => Promise<void>;
  intervalMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** The agent's key from its config secret (PKCS#8 PEM, as `dmconfirm keygen` writes). */
export function agentKeyFromSecret(secret: Secret, name: string): SigningKey {
  const privateKey = createPrivateKey(secret.reveal());
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${secret.source} is not an Ed25519 private key`);
  return signingKeyFrom(privateKey, name);
}

export class AuditCheckpointer {
  #timer: NodeJS.Timeout | undefined;
  #lastCount = -1;
  #running: Promise<unknown> = Promise.resolve();
  #latest: SignedCheckpoint | undefined;

  constructor(
    private readonly log: AuditLog,
    private readonly options: CheckpointerOptions,
  ) {}

  get latest(): SignedCheckpoint | undefined {
    return this.#latest;
  }

  async start(): Promise<void> {
    await this.checkpoint();
    this.#timer = setInterval(
      () => {
        this.checkpoint().catch((error: unknown) =>
          (this.options.logger ?? silentLogger()).error({ err: error }, 'audit checkpoint failed'),
        );
      },
      this.options.intervalMs ?? 15 * 60_000,
    );
    this.#timer.unref();
  }

  /** Signs and publishes the current head unless it was already published; one at a time. */
  checkpoint({ force = false }: { force?: boolean } = {}): Promise<SignedCheckpoint | undefined> {
    const run = this.#running.then(async () => {
      const head = this.log.head;
      if (!force && head.count === this.#lastCount) return undefined;
      const checkpoint = makeCheckpoint(this.options.agent, head, (this.options.now ?? (() => new Date()))());
      const signed = { checkpoint, jws: await signCheckpoint(checkpoint, this.options.key) };
      await this.options.publish(signed);
      this.#lastCount = head.count;
      this.#latest = signed;
      return signed;
    });
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** Signs the final head; waits for its publication at most `timeoutMs` (a stop must not hang on a broker). */
  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const final = this.checkpoint().then(
      () => undefined,
      (error: unknown) => (this.options.logger ?? silentLogger()).warn({ err: error }, 'final audit checkpoint failed'),
    );
    await Promise.race([final, late]).finally(() => clearTimeout(timer));
  }
}
