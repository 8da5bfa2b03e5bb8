// Shared by the fuzz suites: how many runs and which seed (FUZZ_RUNS, FUZZ_SEED), and a
// guard that fails a test when anything escapes as an uncaught exception or rejection.
import { after, before } from 'node:test';
import type fc from 'fast-check';

/** Runs per property: small in `npm test`, FUZZ_RUNS (e.g. 5000 in `npm run fuzz`) otherwise. */
export function runs(small: number): number {
  const configured = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(configured) && configured > 0 ? Math.max(small, configured) : small;
}

/**
 * fast-check parameters: a fixed seed from FUZZ_SEED when given (to replay a failure),
 * fast-check's own random seed otherwise; it prints the seed and path of any failure.
 */
export function params<T>(small: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  const seed = Number(process.env.FUZZ_SEED);
  return { numRuns: runs(small), ...(Number.isInteger(seed) ? { seed } : {}), ...extra };
}

/** Long runs scale slow properties down; a bounded run keeps `small`. */
export function slowRuns(small: number, divisor = 10): number {
  return Math.max(small, Math.floor(runs(small) / divisor));
}

/**
 * Registers process-wide spies for the whole file: any uncaught exception or unhandled
 * rejection while the properties run is collected and fails the file's last test.
 */
export function guardProcess(): { escaped: unknown[] } {
  const escaped: unknown[] = [];
  const onError = (error: unknown) => escaped.push(error);
  before(() => {
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
  });
  after(() => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    if (escaped.length > 0) throw new Error(`escaped the code under test: ${escaped.map(String).join('; ')}`);
  });
  return { escaped };
}

/** Rejects when `promise` has not settled within `ms`: a hang is a failure, not a slow test. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: hung for ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Replaces, inserts or deletes a few characters of `text` at `position`. */
export function mutateText(text: string, position: number, insert: string, drop: number): string {
  const i = position % (text.length + 1);
  return text.slice(0, i) + insert + text.slice(i + drop);
}

type Json = unknown;

function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object')
    return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

/** One structural edit: the value at a chosen path replaced (or, with `undefined`, removed). */
export interface JsonEdit {
  at: number;
  value: Json;
}

export const jsonEdit = (fcx: typeof fc, depth = 2): fc.Arbitrary<JsonEdit> =>
  fcx.record({ at: fcx.nat(), value: fcx.oneof(fcx.jsonValue({ maxDepth: depth }), fcx.constant(undefined)) });

/** Applies edits to a deep copy of a valid message: the mutated-corpus half of each suite. */
export function mutateJson(valid: Json, edits: readonly JsonEdit[]): Json {
  let root = structuredClone(valid);
  for (const edit of edits) {
    const all = paths(root);
    const path = all[edit.at % all.length]!;
    if (path.length === 0) {
      root = edit.value;
      continue;
    }
    let node = root as Record<string | number, Json>;
    for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, Json>;
    const last = path.at(-1)!;
    if (edit.value === undefined && !Array.isArray(node)) delete node[last];
    else node[last] = edit.value;
  }
  return root;
}
