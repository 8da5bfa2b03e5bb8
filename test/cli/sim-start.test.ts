import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { MAIN, runCli } from './fixtures/run-cli.js';

// `dmconfirm sim router` says which unit it plays (serial, system id: what `request
// --router-serial` needs) and a busy port is one clear line.
void test('the simulator prints its serial number and system id at start', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'sim', 'router', '--api-port', '0', '--control-port', 'off'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGTERM'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready;')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
  });
  assert.match(out, /^ {2}serial {3}[0-9A-F]{12} {3}system id \S+$/m);
});

void test('a busy port is one line naming the port and the option, exit 2', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => holder.close());
  const port = (holder.address() as AddressInfo).port;
  const r = await runCli(['sim', 'router', '--api-port', String(port), '--control-port', 'off']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`^dmconfirm: 127\\.0\\.0\\.1:${port} \\(the API of "MikroTik"\\) is already in use.*--api-port`),
  );
});
