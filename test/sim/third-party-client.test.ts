// The "done when" check: `dmconfirm sim router` (the real CLI, as a child process) answers a
// third-party RouterOS client. node-routeros is used directly here and nowhere else in tests;
// it cannot parse `!empty`, so the simulator emulates RouterOS 7.17.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouterOSAPI } from 'node-routeros';

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

void test('node-routeros logs in, prints, leaves an update pending; an HTTP power cycle applies it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-sim-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'password'), 's3cret\n');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'sim',
      'router',
      '--api-port',
      '0',
      '--control-port',
      '0',
      '--routeros',
      '7.17',
      '--model',
      'hAP-ax3',
      '--user',
      'admin',
      '--password-file',
      join(dir, 'password'),
      '--boot-seconds',
      '0.5',
      '--min-off-seconds',
      '1',
      '--name',
      'lab-router',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });

  await waitFor('the simulator to be ready', () => (out.includes('ready') ? true : undefined));
  const apiPort = Number(/api\s+127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const control = /control\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  assert.ok(apiPort > 0 && control, out);
  const state = async () =>
    (await (await fetch(`${control}/state`)).json()) as { booted: boolean; pending: unknown; attemptCount: number };
  const power = (on: boolean) => fetch(`${control}/power`, { method: 'POST', body: JSON.stringify({ on }) });

  const wrong = new RouterOSAPI({ host: '127.0.0.1', port: apiPort, user: 'admin', password: 'nope', timeout: 30 });
  wrong.on('error', () => undefined);
  await assert.rejects(wrong.connect(), /invalid/i);

  const api = new RouterOSAPI({ host: '127.0.0.1', port: apiPort, user: 'admin', password: 's3cret', timeout: 60 });
  api.on('error', () => undefined); // its idle timeout and the reboot would otherwise crash the process
  // One of its known defects: the "hold connection" timer of a write that never settled
  // outlives the dropped connection and would keep this test process alive for timeout/2.
  t.after(() => clearTimeout((api as unknown as { connectionHoldInterval?: NodeJS.Timeout }).connectionHoldInterval));
  await api.connect();
  const [before] = await api.write('/system/device-mode/print');
  assert.equal(before?.mode, 'home');
  assert.equal(before?.['attempt-count'], '0');
  const [identity] = await api.write('/system/identity/print');
  assert.equal(identity?.name, 'lab-router');

  // The update never settles while pending (and node-routeros never settles it on close either).
  void api.write('/system/device-mode/update', ['=mode=advanced', '=activation-timeout=1h']).catch(() => undefined);
  await waitFor('the update to be pending', async () => ((await state()).pending ? true : undefined));
  assert.equal((await state()).attemptCount, 1);

  await power(false);
  await new Promise((r) => setTimeout(r, 1500));
  await power(true);
  await waitFor('the router to boot', async () => ((await state()).booted ? true : undefined));

  const again = new RouterOSAPI({ host: '127.0.0.1', port: apiPort, user: 'admin', password: 's3cret', timeout: 60 });
  again.on('error', () => undefined);
  await again.connect();
  const [after] = await again.write('/system/device-mode/print');
  assert.equal(after?.mode, 'advanced');
  assert.equal(after?.['attempt-count'], '0');
  assert.equal(after?.socks, 'true');
  await again.close();

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(out, /stopped/);
});
