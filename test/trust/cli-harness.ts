// Runs the real CLI as a child process (node --import tsx src/cli/main.ts ...).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export const TARGET = ['--agent', 'site1', '--router-serial', 'HF123'];

export function cli(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

export async function ok(cwd: string, args: string[], match?: RegExp): Promise<string> {
  const r = await cli(cwd, args);
  assert.equal(r.code, 0, `dmconfirm ${args.join(' ')}\n${r.out}`);
  if (match) assert.match(r.out, match);
  return r.out;
}

export async function fails(cwd: string, args: string[], code: number, match: RegExp): Promise<void> {
  const r = await cli(cwd, args);
  assert.equal(r.code, code, `dmconfirm ${args.join(' ')} should exit ${code}\n${r.out}`);
  assert.match(r.out, match);
}
