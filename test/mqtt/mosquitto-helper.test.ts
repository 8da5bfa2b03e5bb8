import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { rmSync } from 'node:fs';
import { waitFor } from '../helpers/mosquitto.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  void test(`a test process ended by ${signal} takes its mosquitto with it`, async () => {
    const script = new URL('./fixtures/broker-owner.ts', import.meta.url).pathname;
    const owner = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: owner.stdout }), 'line')) as [string];
    const [pidText, dir] = line.split(' ');
    const pid = Number(pidText);
    assert.ok(pid > 0 && alive(pid), 'mosquitto runs');
    owner.kill(signal);
    await once(owner, 'exit');
    await waitFor(() => (alive(pid) ? undefined : true), 'mosquitto gone', 10_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}
