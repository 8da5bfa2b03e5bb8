import { randomUUID } from 'node:crypto';
import type { DeviceModeChange } from '../../routeros/device-mode.js';
import { changeDigest } from '../change.js';
import type { Requester } from '../messages.js';
import { parseStrictOrRefuse } from '../strict-json.js';
import { nodeHash, treeRoot } from './merkle.js';
import { campaignSchema, releaseSchema, sameTarget, targetLeaf } from './schema.js';
import type { AbortCriteria, Campaign, CampaignTarget, Release, Wave } from './schema.js';

/** The targets of one campaign in tree order: their root, and each one's inclusion proof. */
export class TargetTree {
  readonly leaves: Buffer[];
  readonly root: string;

  constructor(readonly targets: readonly CampaignTarget[]) {
    if (targets.length === 0) throw new Error('a campaign needs at least one target');
    const seen = new Set<string>();
    this.leaves = targets.map((t) => {
      const leaf = targetLeaf(t);
      const key = leaf.toString('base64url');
      if (seen.has(key)) throw new Error(`target ${t.agent} ${JSON.stringify(t.router)} is listed twice`);
      seen.add(key);
      return leaf;
    });
    this.root = treeRoot(this.leaves).toString('base64url');
  }

  indexOf(target: CampaignTarget): number {
    return this.targets.findIndex((t) => sameTarget(t, target));
  }

  /** RFC 9162 PATH(m, D[n]) as merkle.ts inclusionProof, with subtree roots kept: thousands of proofs stay cheap. */
  proof(index: number): { index: number; path: string[] } {
    if (!Number.isInteger(index) || index < 0 || index >= this.leaves.length)
      throw new RangeError(`no target ${index}`);
    const path: Buffer[] = [];
    let [start, end] = [0, this.leaves.length];
    const siblings: Buffer[] = [];
    while (end - start > 1) {
      let k = 1;
      while (k * 2 < end - start) k *= 2;
      if (index < start + k) {
        siblings.push(this.#range(start + k, end));
        end = start + k;
      } else {
        siblings.push(this.#range(start, start + k));
        start += k;
      }
    }
    path.push(...siblings.reverse());
    return { index, path: path.map((p) => p.toString('base64url')) };
  }

  readonly #ranges = new Map<string, Buffer>();

  #range(start: number, end: number): Buffer {
    const key = `${start}:${end}`;
    let hash = this.#ranges.get(key);
    if (!hash) {
      if (end - start === 1) hash = this.leaves[start]!;
      else {
        let k = 1;
        while (k * 2 < end - start) k *= 2;
        hash = nodeHash(this.#range(start, start + k), this.#range(start + k, end));
      }
      this.#ranges.set(key, hash);
    }
    return hash;
  }
}

export interface CampaignOptions {
  campaignId?: string;
  requester: Requester;
  coordinator: Requester;
  now: number;
  window: { notBefore?: string; notAfter: string };
  change: DeviceModeChange;
  method: 'button' | 'power';
  activationTimeoutSeconds: number;
  tree: TargetTree;
  waves: Wave[];
  abort: AbortCriteria;
  note?: string;
}

function checked<T>(schema: Parameters<typeof parseStrictOrRefuse>[0], value: T, what: string): T {
  return parseStrictOrRefuse(schema, JSON.stringify(value), 'bad-payload', what) as T;
}

/** The campaign payload approvers sign (validated by the same schema the agent reads it with). */
export function buildCampaign(options: CampaignOptions): Campaign {
  return checked(
    campaignSchema,
    {
      v: 1,
      kind: 'campaign',
      campaignId: options.campaignId ?? `c-${randomUUID()}`.slice(0, 40),
      requester: options.requester,
      coordinator: options.coordinator,
      issuedAt: new Date(options.now).toISOString(),
      window: options.window,
      change: options.change,
      digest: changeDigest(options.change),
      method: options.method,
      activationTimeoutSeconds: options.activationTimeoutSeconds,
      targets: { tree: 'rfc9162-sha256', root: options.tree.root, count: options.tree.targets.length },
      waves: options.waves,
      abort: options.abort,
      ...(options.note ? { note: options.note } : {}),
    } satisfies Campaign,
    'campaign',
  );
}

export function buildRelease(options: {
  campaign: { campaignId: string; digest: string };
  wave: number;
  targets: CampaignTarget[];
  now: number;
  validityMs: number;
  releaseId?: string;
}): Release {
  return checked(
    releaseSchema,
    {
      v: 1,
      kind: 'release',
      releaseId: options.releaseId ?? `r-${randomUUID()}`,
      campaign: options.campaign,
      wave: options.wave,
      targets: options.targets,
      issuedAt: new Date(options.now).toISOString(),
      notAfter: new Date(options.now + options.validityMs).toISOString(),
    } satisfies Release,
    'release',
  );
}
