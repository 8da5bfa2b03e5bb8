import { iterator, parse } from '@humanwhocodes/momoa';
import type { AnyNode } from '@humanwhocodes/momoa';
import type { z } from 'zod';
import { refuse } from './refusal.js';
import type { RefusalReason } from './refusal.js';

/**
 * One reading of every message. Signed messages, their envelopes and protected headers,
 * trust roots and MQTT payloads are all read here, and refused when two JSON parsers could
 * read them differently:
 * - duplicate member names in any object (JSON.parse keeps the last, others the first);
 * - `__proto__`, `constructor`, `prototype` members (prototype games in JS readers);
 * - numbers not in canonical form (`1.0`, `1e0`, `-0`, `01` is not JSON at all), and
 *   integers beyond 2^53 that would silently round;
 * - strings with unpaired surrogates (decoders replace them differently).
 * The text must be valid JSON for both `JSON.parse` and Momoa (a well-kept JSON parser that
 * keeps every member and its source range, which JSON.parse cannot show us).
 * Members outside a schema are refused by the strict zod schemas that follow.
 */
export class StrictJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrictJsonError';
  }
}

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(input: Uint8Array | string): string {
  if (typeof input === 'string') return input;
  try {
    return utf8.decode(input);
  } catch {
    throw new StrictJsonError('not UTF-8');
  }
}

function isCanonicalNumber(raw: string, value: number): boolean {
  if (!Number.isFinite(value) || Object.is(value, -0)) return false;
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return false;
  return String(value) === raw;
}

/** No dmconfirm message nests deeper; deeper input is refused before any recursive reader sees it. */
export const MAX_DEPTH = 32;

function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw new StrictJsonError(`nested more than ${MAX_DEPTH} levels deep`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

function checkTree(text: string): void {
  checkDepth(text);
  let tree;
  try {
    tree = parse(text, { mode: 'json', ranges: true });
  } catch (error) {
    throw new StrictJsonError(`not JSON (${(error as Error).message})`);
  }
  for (const entry of iterator(tree, ({ phase }) => phase === 'enter')) {
    const node = entry.node as AnyNode;
    if (node.type === 'Object') {
      const seen = new Set<string>();
      for (const member of node.members) {
        const name = member.name.type === 'String' ? member.name.value : member.name.name;
        if (FORBIDDEN_NAMES.has(name)) throw new StrictJsonError(`member "${name}" is not allowed`);
        if (seen.has(name)) throw new StrictJsonError(`member "${name}" appears twice in one object`);
        seen.add(name);
      }
    } else if (node.type === 'Number') {
      const raw = text.slice(node.range![0], node.range![1]);
      if (!isCanonicalNumber(raw, node.value))
        throw new StrictJsonError(`number ${raw} is not in canonical form (write ${String(node.value)})`);
    } else if (node.type === 'String' && LONE_SURROGATE.test(node.value)) {
      throw new StrictJsonError('a string contains an unpaired surrogate');
    }
  }
}

/** Parses JSON strictly (see above); throws StrictJsonError with a one-line reason. */
export function strictJson(input: Uint8Array | string): unknown {
  const text = decode(input);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StrictJsonError('not JSON');
  }
  checkTree(text);
  return value;
}

/**
 * The one payload parser: strict JSON, then a strict zod schema (members outside the
 * schema, numbers as strings and the like are refused there). Callers map the error to
 * their own vocabulary (a trust refusal, a contract error).
 */
export function parseStrict<S extends z.ZodType>(schema: S, input: Uint8Array | string): z.infer<S> {
  return checkSchema(schema, strictJson(input));
}

/** The schema half of parseStrict, for a value strictJson has already read. */
export function checkSchema<S extends z.ZodType>(schema: S, json: unknown): z.infer<S> {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new StrictJsonError(`${issue?.path.map(String).join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** strictJson for the trust code: a failure is a refusal with this reason. */
export function strictJsonOrRefuse(input: Uint8Array | string, reason: RefusalReason, what: string): unknown {
  try {
    return strictJson(input);
  } catch (error) {
    if (error instanceof StrictJsonError) return refuse(reason, `${what}: ${error.message}`);
    throw error;
  }
}

/** parseStrict for the trust code (or checkSchema, given `{ json }` strictJson read): a failure is a refusal. */
export function parseStrictOrRefuse<S extends z.ZodType>(
  schema: S,
  input: Uint8Array | string | { json: unknown },
  reason: RefusalReason,
  what: string,
): z.infer<S> {
  try {
    return typeof input === 'string' || input instanceof Uint8Array
      ? parseStrict(schema, input)
      : checkSchema(schema, input.json);
  } catch (error) {
    if (error instanceof StrictJsonError) return refuse(reason, `${what}: ${error.message}`);
    throw error;
  }
}
