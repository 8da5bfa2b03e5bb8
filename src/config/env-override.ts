import { parse as parseYamlValue } from 'yaml';
import { formatPath, type ConfigProblem } from './problems.js';

export const ENV_PREFIX = 'DMCONFIRM__';

/** `POLL_INTERVAL_MS` → `pollIntervalMs`; keys already in the file win by case-insensitive match. */
function toKey(segment: string, target: Record<string, unknown>): string {
  const existing = Object.keys(target).find((k) => k.toLowerCase() === segment.toLowerCase().replaceAll('_', ''));
  if (existing) return existing;
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Applies `DMCONFIRM__A__B__0__C=value` overrides to the raw configuration, before
 * validation, so an override is checked exactly like the file. Values are YAML scalars
 * (`8728` is a number, `true` a boolean, `[a, b]` a list).
 */
export function applyEnvOverrides(
  raw: unknown,
  env: NodeJS.ProcessEnv,
): { config: unknown; applied: string[]; refused: ConfigProblem[]; sources: Map<string, string> } {
  const root: Record<string, unknown> = isObject(raw) ? structuredClone(raw) : {};
  const applied: string[] = [];
  const refused: ConfigProblem[] = [];
  /** Which variable set each key path (`routers[0].port`), so a problem there names it. */
  const sources = new Map<string, string>();
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const segments = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    let node: Record<string, unknown> | unknown[] = root;
    const keys: Array<string | number> = [];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const last = i === segments.length - 1;
      const key: string | number = Array.isArray(node) ? Number(segment) : toKey(segment, node);
      keys.push(key);
      // A list grows by at most one entry: ROUTERS__99999999 would make a sparse list that
      // validation walks element by element until the process runs out of memory.
      if (Array.isArray(node) && (!/^\d+$/.test(segment) || (key as number) > node.length)) {
        refused.push({
          path: name,
          message: `list index ${segment} must be 0..${node.length} (the next free index at most)`,
        });
        break;
      }
      if (last) {
        let parsed: unknown;
        try {
          parsed = parseYamlValue(value) as unknown;
        } catch (error) {
          // `[a`, `*x`: a YAML error in the value names the variable, like a problem in the file.
          refused.push({
            path: name,
            message: `not a YAML value: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
          });
          break;
        }
        (node as Record<string | number, unknown>)[key] = parsed;
        applied.push(name);
        sources.set(formatPath(keys), name);
        break;
      }
      const nextIsIndex = /^\d+$/.test(segments[i + 1]!);
      let child = (node as Record<string | number, unknown>)[key];
      if (!isObject(child) && !Array.isArray(child)) {
        child = nextIsIndex ? [] : {};
        (node as Record<string | number, unknown>)[key] = child;
      }
      node = child as Record<string, unknown> | unknown[];
    }
  }
  return { config: root, applied, refused, sources };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
