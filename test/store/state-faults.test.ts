// The stores under a state directory that really fails: each scenario runs in a child in a
// private mount namespace on a small tmpfs (64 KiB unless a scenario needs more;
// fixtures/state-fault-child.ts), never on the host's mounts. Skipped only where mount
// namespaces are not available (not root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOnExit } from '../helpers/child-reaper.js';
import { NO_MOUNT_NAMESPACE } from '../e2e/fixtures/state-dir.js';

const CHILD = join(import.meta.dirname, 'fixtures/state-fault-child.ts');

async function inNamespace(scenario: string, size = '64k'): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-state-fault-'));
  try {
    const child = reapOnExit(
      spawn('unshare', [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs -o size=${size} dmconfirm-test "$0" && exec "$@"`,
        dir,
        process.execPath,
        '--import',
        'tsx',
        CHILD,
        dir,
        scenario,
      ]),
    );
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, `${out}\n${err}`);
    return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void test(
  'audit log on a full disk: ENOSPC leaves no part of the line; the chain goes on once there is room',
  { skip: NO_MOUNT_NAMESPACE },
  async () => {
    const out = await inNamespace('audit-full');
    const failure = out.bigFailure as { name: string; code: string; path: string };
    assert.equal(failure.name, 'StateWriteError', JSON.stringify(out));
    assert.equal(failure.code, 'ENOSPC');
    assert.match(failure.path, /audit\.jsonl$/);
    assert.equal(out.sizeAfterFailure, out.sizeBefore, 'the partly written line was cut back');
    assert.equal(out.endsWithNewline, true);
    assert.deepEqual(out.verify, { ok: true, problems: [] });
    assert.deepEqual(out.types, ['entry', 'entry', 'entry', 'after', 'big']);
  },
);

void test(
  'journal on a full disk: the append that fails leaves the last record current; the next one replaces the file',
  { skip: NO_MOUNT_NAMESPACE },
  async () => {
    const out = await inNamespace('journal-full');
    const failure = out.bigFailure as { name: string; code: string; path: string };
    assert.equal(failure.name, 'StateWriteError', JSON.stringify(out));
    assert.equal(failure.code, 'ENOSPC');
    assert.match(failure.path, /operations\/r1\.jsonl$/);
    assert.equal(out.partLeft, true, 'the kernel took part of the line: a torn tail, as after a crash');
    assert.equal(out.afterFailure, 'pending', 'a restart reads the last whole record');
    assert.equal(out.lines, 1, 'the write after the failure replaced the file with its record alone');
    assert.equal(out.afterRoom, 'rebooting');
    assert.equal(out.appendedAgain, 2, 'then appends again');
  },
);

void test(
  'trust ledger on a full disk: nothing recorded although the line would fit its last block; room again, it appends',
  { skip: NO_MOUNT_NAMESPACE },
  async () => {
    const out = await inNamespace('ledger-full', '256k');
    assert.ok((out.slack as number) > 200, JSON.stringify(out));
    const failure = out.fullFailure as { name: string; code: string; path: string };
    assert.equal(failure.name, 'StateWriteError', JSON.stringify(out));
    assert.equal(failure.code, 'ENOSPC');
    assert.match(failure.path, /trust-ledger\.jsonl$/);
    assert.equal(out.unchanged, true, 'the order is not recorded as used: its resend works');
    assert.equal(out.afterRoom, 3);
  },
);

void test(
  'stores on a read-only directory: EROFS names the file, memory stays as on disk, writable works',
  { skip: NO_MOUNT_NAMESPACE },
  async () => {
    const out = await inNamespace('stores-read-only');
    assert.deepEqual(
      out.consumeFailure,
      { name: 'StateWriteError', code: 'EROFS', path: (out.consumeFailure as { path: string }).path },
      JSON.stringify(out),
    );
    assert.match((out.consumeFailure as { path: string }).path, /nonces\.json$/);
    assert.equal(out.stillCurrent, true, 'a nonce whose use could not be recorded is still the current one');
    assert.equal((out.issueFailure as { code: string }).code, 'EROFS');
    assert.equal(out.chal2Known, false);
    assert.equal((out.journalFailure as { name: string; code: string }).name, 'StateWriteError');
    assert.equal((out.journalFailure as { code: string }).code, 'EROFS');
    assert.match((out.journalFailure as { path: string }).path, /operations\/r1\.jsonl$/);
    assert.equal(
      (out.journalClearFailure as { name: string; code: string }).name,
      'StateWriteError',
      JSON.stringify(out.journalClearFailure),
    );
    assert.equal((out.journalClearFailure as { code: string }).code, 'EROFS');
    assert.equal(out.consumed, true);
    assert.equal(out.consumedOnDisk, true);
  },
);
