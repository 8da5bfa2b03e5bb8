/**
 * TEST ONLY preload for the daemon (`node --import tsx --import ./test/e2e/loaded-modules.preload.ts`):
 * on SIGUSR2 it writes every module the process has loaded to loaded-modules.json next to the
 * `--config` file: ES modules (through a module hook), CommonJS ones (require.cache) and Node's
 * own (process.moduleLoadList, where fetch shows as undici). idle-footprint.e2e.test.ts reads it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';

export interface LoadedModules {
  esm: string[];
  cjs: string[];
  builtin: string[];
}

const esm = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => esm.add(url));
port1.unref();
register('./loaded-modules.hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

const config = process.argv[process.argv.indexOf('--config') + 1] ?? '.';
const file = join(dirname(config), 'loaded-modules.json');
const require = createRequire(import.meta.url);
process.on('SIGUSR2', () => {
  const loaded: LoadedModules = {
    esm: [...esm],
    cjs: Object.keys(require.cache),
    builtin: (process as unknown as { moduleLoadList: string[] }).moduleLoadList,
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(loaded));
  renameSync(`${file}.tmp`, file); // the test never reads half a file
});
