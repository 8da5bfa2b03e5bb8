import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import type { RouterRef } from '../trust/messages.js';
import type { TargetState } from './verdict.js';

/** One target in the coordinator's journal. */
export interface TargetRecord {
  site: string;
  agent: string;
  router: RouterRef;
  index: number;
  wave: number;
  requestId: string;
  state: TargetState;
  releasedAt?: string;
  /** Digests of the orders sent for it: only answers quoting one of them count. */
  orders?: string[];
  updatedAt?: string;
  code?: string;
  detail?: string;
}

export interface RolloutJournal {
  v: 1;
  campaignId: string;
  campaignDigest: string;
  base: string;
  createdAt: string;
  /** The wave to release next (waves.length when all are released). */
  nextWave: number;
  /** When the last released wave had every target final (pacing counts from here). */
  waveDoneAt?: string;
  releases: Array<{ wave: number; at: string; targets: number }>;
  paused: boolean;
  aborted?: { at: string; by: 'criterion' | 'operator'; why: string };
  finishedAt?: string;
  targets: TargetRecord[];
}

/** What an operator asks a running coordinator (`rollout pause|resume|abort`); abort is final. */
export interface RolloutControl {
  paused: boolean;
  abort?: { at: string; why: string };
}

export const files = (dir: string) => ({
  journal: join(dir, 'rollout.json'),
  campaign: join(dir, 'campaign.json'),
  control: join(dir, 'control.json'),
});

export function readJournal(dir: string): Promise<RolloutJournal | undefined> {
  return readJsonFile<RolloutJournal>(files(dir).journal);
}

export function writeJournal(dir: string, journal: RolloutJournal): Promise<void> {
  return writeJsonAtomic(files(dir).journal, journal);
}

export async function readControl(dir: string): Promise<RolloutControl> {
  return (await readJsonFile<RolloutControl>(files(dir).control)) ?? { paused: false };
}

/** Pause, resume or abort; an abort stays, whatever is asked after it. */
export async function writeControl(
  dir: string,
  change: 'pause' | 'resume' | 'abort',
  now: number,
  why = 'aborted by an operator',
): Promise<RolloutControl> {
  const current = await readControl(dir);
  const next: RolloutControl =
    change === 'abort'
      ? { paused: current.paused, abort: current.abort ?? { at: new Date(now).toISOString(), why } }
      : { ...current, paused: change === 'pause' };
  await writeJsonAtomic(files(dir).control, next);
  return next;
}
