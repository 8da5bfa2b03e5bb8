import { open, rename, mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { countFsync } from './fsync-count.js';
import { writingState } from './state-error.js';

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or
 * the new one, never a torn one: write a temporary file beside it, fsync it, rename it over
 * the old one, then fsync the directory so the rename itself is durable. A failure (read-only,
 * disk full) rejects with a StateWriteError naming the path and errno, and leaves the old file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  return writingState(path, () => replaceFile(path, data, mode));
}

async function replaceFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // The directory is made only when missing (the first write): one file system call less on every other write.
  const handle = await open(tmp, 'wx', mode).catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    return open(tmp, 'wx', mode);
  });
  try {
    await handle.writeFile(data);
    await handle.sync();
    countFsync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
    countFsync();
  } finally {
    await handle.close();
  }
}

/** Reads a JSON file written by writeJsonAtomic; `undefined` when it does not exist. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', mode);
}
