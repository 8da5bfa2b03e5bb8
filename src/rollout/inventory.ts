import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { campaignTargetSchema } from '../trust/campaign/schema.js';
import type { CampaignTarget } from '../trust/campaign/schema.js';

/** One target as the coordinator addresses it: the signed pair (agent, router) and the site of its topics. */
export interface FleetTarget extends CampaignTarget {
  site: string;
}

const level = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be a topic level (letters, digits, _.:-)');
const entrySchema = campaignTargetSchema.extend({ site: level });
const inventorySchema = z.strictObject({ targets: z.array(entrySchema).min(1).max(1_000_000) });

export class InventoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryError';
  }
}

/**
 * A fleet inventory file (YAML or JSON): `targets: [{site, agent, router: {serial}}]`, in
 * rollout order (the first targets form the first wave). Duplicates are refused.
 */
export function parseInventory(text: string, where: string): FleetTarget[] {
  let raw: unknown;
  try {
    raw = parse(text, { uniqueKeys: true });
  } catch (error) {
    throw new InventoryError(`${where}: not YAML/JSON (${(error as Error).message})`);
  }
  const parsed = inventorySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InventoryError(`${where}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  const seen = new Set<string>();
  for (const t of parsed.data.targets) {
    const key = `${t.agent}\0${t.router.serial ?? ''}\0${t.router.systemId ?? ''}`;
    if (seen.has(key))
      throw new InventoryError(`${where}: agent ${t.agent} router ${JSON.stringify(t.router)} is listed twice`);
    seen.add(key);
  }
  return parsed.data.targets;
}

export async function readInventory(path: string): Promise<FleetTarget[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InventoryError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseInventory(text, path);
}

/** Only the signed pair, as the Merkle leaf holds it. */
export function signedPart(t: FleetTarget): CampaignTarget {
  return { agent: t.agent, router: t.router };
}
