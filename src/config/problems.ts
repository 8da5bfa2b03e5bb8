import type { z } from 'zod';
import { notOneOf } from '../text/did-you-mean.js';

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Every problem in a configuration at once; the daemon refuses to start on any. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** `['routers', 0, 'actuator', 'pin']` → `routers[0].actuator.pin`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += (out ? '.' : '') + String(part);
  }
  return out || '(root)';
}

/** The value at a path of the raw configuration (what the user wrote), if any. */
function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** Each problem at its YAML key path; an enum echoes the bad value with a suggestion. */
export function problemsFrom(error: z.ZodError, raw?: unknown): ConfigProblem[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    const given = valueAt(raw, issue.path);
    if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
    else if (
      issue.code === 'invalid_value' &&
      typeof given === 'string' &&
      issue.values.every((v) => typeof v === 'string')
    ) {
      message = notOneOf(given, 'allowed here', issue.values);
    } else if (issue.code === 'invalid_type' && given === undefined && raw !== undefined) {
      message = `required, but missing (${issue.expected})`;
    } else if (issue.code === 'invalid_type' && (typeof given === 'string' || typeof given === 'number')) {
      message = `${message} (${JSON.stringify(given)})`;
    }
    return { path: formatPath(issue.path), message };
  });
}
