/**
 * One audit line, written and read one way. Lines are read with the one strict parser
 * (src/trust/strict-json.ts): a line two JSON readers could read differently (a member
 * twice, `__proto__`, a non-canonical number) is not an entry, so an edit hidden that way
 * cannot verify. The writer makes sure everything it writes reads back strictly, whatever
 * the data holds (a string with a lone surrogate from a device, a huge integer): an
 * attacker who gets such a value logged cannot make the log look damaged.
 */
import { strictJson, MAX_DEPTH } from '../trust/strict-json.js';

export interface AuditEntry {
  seq: number;
  at: string;
  type: string;
  data: unknown;
  prev: string;
}

const ENTRY_KEYS = ['seq', 'at', 'type', 'data', 'prev'].join(',');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** The data as the strict reader will read it back: lone surrogates as U+FFFD, unsafe integers as text. */
function readable(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\uFFFD');
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? String(value) : value;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH - 2) return '[nested too deep]';
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return readable(json.call(value), depth);
  if (Array.isArray(value)) return value.map((v) => readable(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, FORBIDDEN_NAMES.has(k) ? `_${k}` : k.replace(LONE_SURROGATE, '\uFFFD'), {
      value: readable(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The exact text of an entry's line (without its newline). */
export function auditLine(entry: AuditEntry): string {
  return JSON.stringify({ ...entry, data: readable(entry.data, 1) });
}

/** The entry a line holds, or undefined when it is not one (not strict JSON, or not the entry's shape). */
export function readAuditLine(line: string): AuditEntry | undefined {
  let value: unknown;
  try {
    value = strictJson(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const e = value as Record<string, unknown>;
  if (Object.keys(e).join(',') !== ENTRY_KEYS) return undefined;
  if (!Number.isSafeInteger(e.seq) || typeof e.at !== 'string' || typeof e.type !== 'string') return undefined;
  if (typeof e.prev !== 'string' || !/^[0-9a-f]{64}$/.test(e.prev)) return undefined;
  return e as unknown as AuditEntry;
}
