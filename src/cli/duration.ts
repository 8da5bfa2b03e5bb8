import { parseRosDuration } from '../routeros/duration.js';
import { CliError } from './cli-error.js';

/**
 * Every duration option of the CLI, one grammar (the RouterOS one, src/routeros/duration.ts):
 * `500ms`, `10s`, `5m`, `1h30m`, `1d`, `00:05:00`. A bare number keeps the option's own unit
 * (`--settle 300` is ms, `--boot-seconds 3` is s), as documented in its help.
 */
export function durationMs(text: string, option: string, bareUnit: 'ms' | 's' = 's'): number {
  const t = text.trim();
  const ms = /^\d+(\.\d+)?$/.test(t) ? Number(t) * (bareUnit === 'ms' ? 1 : 1000) : parseRosDuration(t);
  if (ms === undefined || !Number.isFinite(ms))
    throw new CliError(`${option}: "${text}" is not a duration (like 500ms, 10s, 5m, 1h30m)`, 2);
  return Math.round(ms);
}
