import { parse as parseYamlValue } from 'yaml';

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
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): { config: unknown; applied: string[] } {
  const root: Record<string, unknown> = isObject(raw) ? structuredClone(raw) : {};
  const applied: string[] = [];
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const segments = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const last = i === segments.length - 1;
      const key: string | number = Array.isArray(node) ? Number(segment) : toKey(segment, node);
      if (Array.isArray(node) && !Number.isInteger(key)) break;
      if (last) {
        (node as Record<string | number, unknown>)[key] = parseYamlValue(value) as unknown;
        applied.push(name);
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
  return { config: root, applied };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
