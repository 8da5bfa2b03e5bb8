import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.js';
import { asVerdict, refuse } from './refusal.js';
import type { Refusal } from './refusal.js';
import { SerialQueue } from './serial-queue.js';
import { TrustRoot, verifyRotation, verifySelfSigned } from './trust-root.js';

export const TRUST_ROOT_FILE = 'trust-root.json';

export interface RootUpdate {
  ok: true;
  root: TrustRoot;
  outcome: 'unchanged' | 'rotated';
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The newest accepted trust root, kept in the state directory byte for byte. It only moves
 * forward: each new version must be the next one, signed by a threshold of the old root
 * keys and of its own. An older or conflicting root is refused, whatever its source.
 */
export class TrustStore {
  readonly #path: string;
  readonly #queue = new SerialQueue();
  #current: TrustRoot | undefined;

  constructor(stateDir: string) {
    this.#path = join(stateDir, TRUST_ROOT_FILE);
  }

  get current(): TrustRoot {
    if (!this.#current) throw new Error('TrustStore.load() has not run');
    return this.#current;
  }

  /**
   * Loads the stored root. The configured initial root bootstraps an empty store (it must
   * be validly self-signed); when it is newer than the stored one it is applied as a
   * rotation, and when it is older it is ignored: the store never goes back.
   */
  async load(initialText?: string): Promise<{ root: TrustRoot; notes: string[] }> {
    const notes: string[] = [];
    const stored = await readText(this.#path);
    if (stored !== undefined) {
      const root = TrustRoot.fromEnvelopeText(stored);
      await verifySelfSigned(root);
      this.#current = root;
    } else {
      if (initialText === undefined) refuse('root-invalid', `no trust root in ${this.#path} and none configured`);
      const root = TrustRoot.fromEnvelopeText(initialText);
      await verifySelfSigned(root);
      await writeFileAtomic(this.#path, initialText, 0o644);
      this.#current = root;
      notes.push(`trust root v${root.version} bootstrapped from configuration`);
    }
    if (initialText !== undefined && stored !== undefined) {
      const result = await this.update(initialText);
      if (!result.ok) notes.push(`configured trust root not applied: ${result.reason}: ${result.detail}`);
      else if (result.outcome === 'rotated') notes.push(`configured trust root v${result.root.version} applied`);
    }
    if (this.current.schema === 1) {
      notes.push(
        `trust root v${this.current.version} is in the schema-1 format: every order is refused (root-outdated) ` +
          'until its schema-2 successor (dmconfirm trust migrate) is applied',
      );
    }
    return { root: this.current, notes };
  }

  /** Applies a candidate root (from configuration or an operator). */
  update(text: string): Promise<RootUpdate | Refusal> {
    return this.#queue.run(() =>
      asVerdict(async () => {
        const candidate = TrustRoot.fromEnvelopeText(text);
        const outcome = await verifyRotation(this.current, candidate);
        if (outcome === 'rotated') {
          await writeFileAtomic(this.#path, text, 0o644);
          this.#current = candidate;
        }
        return { ok: true as const, root: this.current, outcome };
      }),
    );
  }
}
