/**
 * Checks an audit log file: every line well-formed, sequence numbers consecutive, each
 * `prev` the hash of the exact previous line; and, against a signed checkpoint, that the
 * file still holds the first `count` lines the agent signed for (no truncation, no
 * rewrite of the chain from some point on). Edits, deletions and reordering break the
 * chain at the next line; the last lines are only protected by a later checkpoint.
 */
import { readFile } from 'node:fs/promises';
import type { PublicKeyInfo } from '../trust/keys.js';
import { GENESIS, lineHash } from './audit-log.js';
import { readAuditLine } from './audit-line.js';
import { strictJson } from '../trust/strict-json.js';
import { CheckpointError, verifyCheckpoint, type Checkpoint } from './checkpoint.js';

export type AuditProblemKind =
  'malformed' | 'bad-seq' | 'broken-chain' | 'torn-tail' | 'truncated' | 'checkpoint-mismatch';

export interface AuditProblem {
  /** 1-based line number in the file (0 for the file as a whole). */
  line: number;
  kind: AuditProblemKind;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  entries: number;
  head: string;
  problems: AuditProblem[];
  /** The verified checkpoint the file was checked against, if any. */
  checkpoint?: Checkpoint;
}

export interface VerifyOptions {
  /** The agent's public key; required with a checkpoint. */
  publicKey?: PublicKeyInfo;
  /** A compact JWS, or the retained MQTT checkpoint message `{"v":1,"jws":...}`. */
  checkpoint?: string;
}

export function checkpointJwsFrom(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let parsed: { jws?: unknown } | null;
  try {
    parsed = strictJson(trimmed) as { jws?: unknown } | null;
  } catch (error) {
    throw new CheckpointError(`checkpoint JSON refused: ${(error as Error).message}`);
  }
  if (typeof parsed?.jws !== 'string') throw new CheckpointError('checkpoint JSON has no "jws" string');
  return parsed.jws;
}

export async function verifyAuditFile(path: string, options: VerifyOptions = {}): Promise<AuditReport> {
  let checkpoint: Checkpoint | undefined;
  if (options.checkpoint !== undefined) {
    if (!options.publicKey) throw new CheckpointError("a checkpoint can only be trusted with the agent's public key");
    checkpoint = await verifyCheckpoint(checkpointJwsFrom(options.checkpoint), options.publicKey);
  }
  const text = await readFile(path, 'utf8');
  const problems: AuditProblem[] = [];
  let body = text;
  if (text.length > 0 && !text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    body = text.slice(0, cut);
    problems.push({
      line: body.split('\n').length,
      kind: 'torn-tail',
      message: 'last line has no newline (interrupted write or cut file)',
    });
  }
  const lines = body.length === 0 ? [] : body.slice(0, -1).split('\n');
  let prevHash = GENESIS;
  let prevSeq = -1;
  lines.forEach((line, index) => {
    const at = index + 1;
    const entry = readAuditLine(line);
    if (!entry) {
      problems.push({ line: at, kind: 'malformed', message: 'not an audit entry {seq, at, type, data, prev}' });
    } else {
      if (entry.seq !== prevSeq + 1) {
        problems.push({
          line: at,
          kind: 'bad-seq',
          message: `seq ${entry.seq} follows ${prevSeq} (entries deleted, inserted or reordered)`,
        });
      }
      if (entry.prev !== prevHash) {
        problems.push({
          line: at,
          kind: 'broken-chain',
          message: 'prev is not the hash of the line before (that line was changed, removed or moved)',
        });
      }
      prevSeq = entry.seq;
    }
    prevHash = lineHash(line);
  });
  if (checkpoint) {
    if (lines.length < checkpoint.count) {
      problems.push({
        line: 0,
        kind: 'truncated',
        message: `file has ${lines.length} entries; the checkpoint of ${checkpoint.at} signed ${checkpoint.count}`,
      });
    } else {
      const signedLine = checkpoint.count === 0 ? undefined : lines[checkpoint.count - 1];
      const hash = signedLine === undefined ? GENESIS : lineHash(signedLine);
      if (hash !== checkpoint.head) {
        problems.push({
          line: checkpoint.count,
          kind: 'checkpoint-mismatch',
          message: `entry ${checkpoint.count} is not the one the checkpoint of ${checkpoint.at} signed`,
        });
      }
    }
  }
  return {
    ok: problems.length === 0,
    entries: lines.length,
    head: prevHash,
    problems,
    ...(checkpoint ? { checkpoint } : {}),
  };
}
