import { RosTrap, TRAP_CATEGORY } from '../errors.js';
import type { Row } from './types.js';

/**
 * The query language of the RouterOS API manual, for `print` (and `getall`) on every menu.
 * Each query word pushes one boolean per row onto a stack:
 *   `?name` has the property, `?-name` lacks it, `?name=x` / `?=name=x` equals x,
 *   `?<name=x` / `?>name=x` less / greater than x (numbers compare as numbers).
 * `?#ops` works on the stack, left to right: `!` negates the top, `&` / `|` pop two and push
 * their and / or, `.` pushes a copy of the top; digits are a stack index (0 = top): followed by
 * another character they push a copy of that value (a `.` right after an index does nothing),
 * at the end of the word they replace the whole stack with that value.
 * A row matches when every value left on the stack is true (an empty stack matches all).
 */
export type RowTest = (row: Row) => boolean;

class QueryError extends RosTrap {
  constructor(word: string, why: string) {
    super(`invalid query ${word}: ${why}`, TRAP_CATEGORY.argumentValue);
  }
}

function compare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A query word that pushes (not `?#`): its test. */
function pushWord(word: string): RowTest {
  let body = word.slice(1);
  if (body === '') throw new QueryError(word, 'empty');
  const op = body[0];
  if (op === '-') {
    const name = body.slice(1);
    return (r) => !(name in r);
  }
  if (op === '<' || op === '>' || op === '=') body = body.slice(1);
  const eq = body.indexOf('=');
  if (eq < 0) {
    if (op === '<' || op === '>' || op === '=') throw new QueryError(word, 'expected name=value');
    return (r) => body in r;
  }
  const name = body.slice(0, eq);
  const value = body.slice(eq + 1);
  if (op === '<') return (r) => r[name] !== undefined && compare(r[name], value) < 0;
  if (op === '>') return (r) => r[name] !== undefined && compare(r[name], value) > 0;
  // An absent property equals the empty value, as `?comment=` finds items without a comment.
  return (r) => (r[name] ?? '') === value;
}

/** Applies one `?#ops` word to a stack of tests (the stack is rebuilt, rows are tested later). */
function operate(word: string, stack: RowTest[]): RowTest[] {
  const ops = word.slice(2);
  const pop = (): RowTest => {
    const top = stack.pop();
    if (!top) throw new QueryError(word, 'stack is empty');
    return top;
  };
  let i = 0;
  let afterIndex = false;
  while (i < ops.length) {
    const digits = /^[0-9]+/.exec(ops.slice(i))?.[0];
    if (digits !== undefined) {
      i += digits.length;
      const at = stack[stack.length - 1 - Number(digits)];
      if (!at) throw new QueryError(word, `no stack value at index ${digits}`);
      if (i >= ops.length) stack.splice(0, stack.length, at);
      else stack.push(at);
      afterIndex = true;
      continue;
    }
    const c = ops[i++];
    if (c === '.' && afterIndex) {
      afterIndex = false;
      continue;
    }
    afterIndex = false;
    if (c === '!') {
      const t = pop();
      stack.push((r) => !t(r));
    } else if (c === '&' || c === '|') {
      const b = pop();
      const a = pop();
      stack.push(c === '&' ? (r) => a(r) && b(r) : (r) => a(r) || b(r));
    } else if (c === '.') {
      const t = pop();
      stack.push(t, t);
    } else {
      throw new QueryError(word, `unknown operation ${c}`);
    }
  }
  return stack;
}

/** Compiles the `?` words of a command into one row test (RosTrap on a malformed query). */
export function compileQuery(words: readonly string[]): RowTest {
  let stack: RowTest[] = [];
  for (const word of words) {
    if (word.startsWith('?#')) stack = operate(word, stack);
    else stack.push(pushWord(word));
  }
  const all = [...stack];
  return (row) => all.every((t) => t(row));
}

/** Applies the queries and `=.proplist=` to print rows. */
export function selectRows(rows: Row[], queries: readonly string[], proplist: string | undefined): Row[] {
  const matches = compileQuery(queries);
  const keep = proplist === undefined ? undefined : new Set(proplist.split(',').map((s) => s.trim()));
  return rows
    .filter(matches)
    .map((r) => (keep ? Object.fromEntries(Object.entries(r).filter(([k]) => keep.has(k))) : r));
}
