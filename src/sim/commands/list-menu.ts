import { RosTrap, TRAP_CATEGORY } from '../errors.js';
import { listNumbers, type CommandContext, type CommandTable, type Row } from './types.js';

export interface ListMenuOptions {
  /** The fields of a new item from the `add` arguments. */
  fields: (attrs: Record<string, string>) => Row;
  /** Called before an add (or an enabling set) is allowed: device-mode gating. */
  guard?: (ctx: CommandContext, creates: boolean) => void;
  /** Items the menu starts with (a router's ARP table, say). */
  seed?: (ctx: CommandContext) => Row[];
}

function nextId(items: Row[]): string {
  const max = Math.max(0, ...items.map((r) => parseInt((r['.id'] ?? '*0').slice(1), 16)));
  return `*${(max + 1).toString(16).toUpperCase()}`;
}

function selected(ctx: CommandContext, items: Row[]): Row[] {
  const wanted = new Set(listNumbers(ctx.attrs.numbers ?? ctx.attrs['.id']));
  if (wanted.size === 0) throw new RosTrap('missing value of numbers', TRAP_CATEGORY.argumentValue);
  const found = items.filter((r) => wanted.has(r['.id'] ?? '') || wanted.has(r.name ?? ''));
  if (found.length !== wanted.size) throw new RosTrap('no such item', TRAP_CATEGORY.missingItem);
  return found;
}

/** A list menu: print (queries apply in the session), add, set, remove, disable, enable; `comment` everywhere. */
export function listMenu(menu: string, options: ListMenuOptions): CommandTable {
  const items = (ctx: CommandContext): Row[] => {
    const rows = ctx.router.items(menu);
    if (rows.length === 0 && options.seed && !ctx.router.settingsOf(menu).seeded) {
      ctx.router.settingsOf(menu).seeded = 'yes';
      for (const r of options.seed(ctx)) rows.push({ '.id': nextId(rows), ...r });
    }
    return rows;
  };
  const comment = (attrs: Record<string, string>): Row =>
    attrs.comment === undefined ? {} : { comment: attrs.comment };
  return {
    [`${menu}/print`]: (ctx) => ({ rows: items(ctx).map((r) => ({ ...r })) }),
    [`${menu}/add`]: (ctx) => {
      options.guard?.(ctx, true);
      const rows = items(ctx);
      const id = nextId(rows);
      rows.push({ '.id': id, ...options.fields(ctx.attrs), ...comment(ctx.attrs), disabled: 'false' });
      return { ret: id };
    },
    [`${menu}/set`]: (ctx) => {
      const rows = selected(ctx, items(ctx));
      const { numbers: _n, '.id': _id, ...changes } = ctx.attrs;
      if (changes.disabled === 'no' || changes.disabled === 'false') options.guard?.(ctx, true);
      for (const r of rows)
        Object.assign(r, Object.fromEntries(Object.entries(changes).filter(([k]) => !k.startsWith('.'))));
    },
    [`${menu}/remove`]: (ctx) => {
      const rows = items(ctx);
      const gone = new Set(selected(ctx, rows));
      rows.splice(0, rows.length, ...rows.filter((r) => !gone.has(r)));
    },
    [`${menu}/disable`]: (ctx) => {
      for (const r of selected(ctx, items(ctx))) r.disabled = 'true';
    },
    [`${menu}/enable`]: (ctx) => {
      options.guard?.(ctx, true);
      for (const r of selected(ctx, items(ctx))) r.disabled = 'false';
    },
  };
}
