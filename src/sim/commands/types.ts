import type { SimulatedRouter } from '../router.js';

export type Row = Record<string, string>;

export interface CommandContext {
  readonly router: SimulatedRouter;
  readonly sessionId: number;
  readonly command: string;
  readonly attrs: Record<string, string>;
  /** `?` query words as sent (print only). */
  readonly queries: readonly string[];
  /** Aborted by `/cancel` or when the connection goes away. */
  readonly signal: AbortSignal;
  /** Sends a `!re` now, before the command ends (progress, monitor). */
  progress(row: Row): void;
}

/**
 * What a command answers: `rows` → `!re` each (or `!empty` on 7.18+ when none) then `!done`;
 * `ret` → `!done =ret=`; nothing → a bare `!done`.
 */
export interface CommandReply {
  rows?: Row[];
  ret?: string;
}

export type CommandHandler = (ctx: CommandContext) => CommandReply | void | Promise<CommandReply | void>;
export type CommandTable = Record<string, CommandHandler>;

/** `=numbers=` lists items by name or id, comma-separated. */
export function listNumbers(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Applies `?key=value` / `?key` / `?-key` queries (ANDed) and `=.proplist=` to print rows. */
export function selectRows(rows: Row[], queries: readonly string[], proplist: string | undefined): Row[] {
  const tests = queries.map((q) => {
    const body = q.slice(1);
    if (body.startsWith('-')) return (r: Row) => !(body.slice(1) in r);
    const eq = body.indexOf('=');
    if (eq < 0) return (r: Row) => body in r;
    const key = body.slice(0, eq);
    const value = body.slice(eq + 1);
    return (r: Row) => r[key] === value;
  }).filter((_, i) => !(queries[i] ?? '').startsWith('?#'));
  const keep = proplist ? new Set(proplist.split(',').map((s) => s.trim())) : undefined;
  return rows
    .filter((r) => tests.every((t) => t(r)))
    .map((r) => (keep ? Object.fromEntries(Object.entries(r).filter(([k]) => keep.has(k))) : r));
}
