import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * A secret read from a file or a systemd credential. It never prints its value: logs,
 * JSON and `config check` show only where it came from.
 */
export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly source: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return `[secret from ${this.source}]`;
  }
  toString(): string {
    return this.toJSON();
  }
}

/** Where relative secret files are resolved and where systemd put the credentials. */
export interface SecretContext {
  baseDir: string;
  credentialsDirectory: string | undefined;
}

let context: SecretContext = { baseDir: process.cwd(), credentialsDirectory: process.env.CREDENTIALS_DIRECTORY };

/** The loader sets the context before parsing; zod transforms cannot take arguments. */
export function withSecretContext<T>(next: SecretContext, run: () => T): T {
  const previous = context;
  context = next;
  try {
    return run();
  } finally {
    context = previous;
  }
}

function readSecretFile(path: string): string {
  // One trailing newline is an artefact of `echo > file`, not part of the secret.
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

const fileRef = z.strictObject({ file: z.string().min(1).describe('Path of a file holding the secret') });
const credentialRef = z.strictObject({
  credential: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be a systemd credential name')
    .describe('Name of a systemd credential (LoadCredential=) under $CREDENTIALS_DIRECTORY'),
});

export const secretRef = z
  .union([fileRef, credentialRef], {
    error: 'must be {file: PATH} or {credential: NAME}; secrets never live in the YAML itself',
  })
  .transform((ref, ctx): Secret => {
    let path: string;
    let source: string;
    if ('file' in ref) {
      path = isAbsolute(ref.file) ? ref.file : resolve(context.baseDir, ref.file);
      source = `file ${path}`;
    } else {
      if (!context.credentialsDirectory) {
        ctx.addIssue({
          code: 'custom',
          message:
            `credential "${ref.credential}" needs $CREDENTIALS_DIRECTORY ` + `(run under systemd with LoadCredential=)`,
        });
        return z.NEVER;
      }
      path = join(context.credentialsDirectory, ref.credential);
      source = `credential ${ref.credential}`;
    }
    try {
      const value = readSecretFile(path);
      if (value.length === 0) {
        ctx.addIssue({ code: 'custom', message: `${source} is empty` });
        return z.NEVER;
      }
      return new Secret(value, source);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      ctx.addIssue({ code: 'custom', message: `cannot read ${source}: ${code}` });
      return z.NEVER;
    }
  });
