import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { silentLogger } from '../../src/log/logger.js';
import { createActuator } from '../../src/actuators/index.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { ActuatorError } from '../../src/actuators/errors.js';

const DEVICE = join(import.meta.dirname, 'fixtures', 'serial-device-process.ts');
const noSocat = spawnSync('socat', ['-V']).status === 0 ? false : 'socat not installed';
const timing = { pressMs: 100, pressMinMs: 50, pressMaxMs: 1000, offMs: 1000, offMinMs: 1000, offMaxMs: 5000 };
const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-pty-'));
const processes = new Set<ChildProcess>();

after(() => {
  for (const child of processes) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function track<T extends ChildProcess>(child: T): T {
  processes.add(child);
  child.on('exit', () => processes.delete(child));
  return child;
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A socat pty pair: the driver opens `host`, the simulated device `device`. */
async function ptyPair(name: string): Promise<{ host: string; device: string; socat: ChildProcess }> {
  const host = join(dir, `${name}-host`);
  const device = join(dir, `${name}-dev`);
  const socat = track(
    spawn('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${device}`], { stdio: 'ignore' }),
  );
  await until(() => existsSync(host) && existsSync(device), 'socat ptys');
  return { host, device, socat };
}

async function deviceProcess(
  kind: string,
  path: string,
  options: object = {},
): Promise<{ events: Array<{ outlet: string; on: boolean; at: number }>; proc: ChildProcess }> {
  const proc = track(
    spawn(process.execPath, ['--import', 'tsx', DEVICE, kind, path, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const events: Array<{ outlet: string; on: boolean; at: number }> = [];
  let ready = false;
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { event: string; outlet: string; on: boolean; at: number };
    if (message.event === 'ready') ready = true;
    else events.push(message);
  });
  await until(() => ready, `${kind} device ready`);
  return { events, proc };
}

void test(
  'LCUS board process on a real pty: a power cycle energizes the relay for the off time',
  { skip: noSocat },
  async () => {
    const pty = await ptyPair('lcus');
    const board = await deviceProcess('lcus', pty.device);
    const relay = createActuator(
      actuatorSchema.parse({ driver: 'lcus', path: pty.host, wiring: 'normally-closed', timing }),
      { logger: silentLogger() },
    );
    await relay.start();
    const report = await relay.powerCycle(1000);
    await until(() => board.events.length >= 3, 'three relay frames');
    assert.deepEqual(
      board.events.map((e) => e.on),
      [false, true, false],
    );
    const off = (board.events[2]?.at ?? 0) - (board.events[1]?.at ?? 0);
    // Exact on the host side; the device process sees each frame with some scheduling delay.
    assert.ok((report.edges[1]?.monoMs ?? 0) - (report.edges[0]?.monoMs ?? 0) >= 1000);
    assert.ok(off >= 500 && off < 4000, `energized ${off} ms`);
    await relay.stop();
    pty.socat.kill();
  },
);

void test('WTI and APC consoles on real ptys, with login; /BOOT and olOff/olOn', { skip: noSocat }, async () => {
  const secret = join(dir, 'pdu-password');
  writeFileSync(secret, 'secret\n');
  const wtiPty = await ptyPair('wti');
  const wti = await deviceProcess('wti', wtiPty.device, {
    login: { user: 'super', password: 'secret' },
    bootDelayMs: 300,
  });
  const wtiActuator = createActuator(
    actuatorSchema.parse({
      driver: 'wti',
      path: wtiPty.host,
      plug: 2,
      method: 'boot',
      username: 'super',
      password: { file: secret },
      timing,
    }),
    { logger: silentLogger() },
  );
  await wtiActuator.start();
  const report = await wtiActuator.powerCycle(1000);
  assert.deepEqual(
    report.edges.map((e) => e.edge),
    ['reboot-sent', 'power-on-confirmed'],
  );
  await until(() => wti.events.length >= 4, 'WTI events');
  assert.deepEqual(
    wti.events.map((e) => e.on),
    [true, false, true, true],
  ); // start, boot off, boot on, confirming /ON
  await wtiActuator.stop();

  const apcPty = await ptyPair('apc');
  const apc = await deviceProcess('apc', apcPty.device, { login: { user: 'apc', password: 'secret' } });
  const apcActuator = createActuator(
    actuatorSchema.parse({
      driver: 'apc',
      path: apcPty.host,
      outlet: 4,
      username: 'apc',
      password: { file: secret },
      timing,
    }),
    { logger: silentLogger() },
  );
  await apcActuator.start();
  await apcActuator.powerCycle(1500);
  await until(() => apc.events.length >= 3, 'APC events');
  assert.deepEqual(
    apc.events.map((e) => `${e.outlet}:${e.on}`),
    ['4:true', '4:false', '4:true'],
  );
  const off = (apc.events[2]?.at ?? 0) - (apc.events[1]?.at ?? 0);
  assert.ok(off >= 1000 && off < 5000, `outlet off ${off} ms`); // seen from another process: generous
  await apcActuator.stop();
  wtiPty.socat.kill();
  apcPty.socat.kill();
});

void test(
  'an unplugged adapter fails the operation quickly and is reopened when it comes back',
  { skip: noSocat },
  async () => {
    let pty = await ptyPair('unplug');
    let pdu = await deviceProcess('apc', pty.device);
    const actuator = createActuator(
      actuatorSchema.parse({ driver: 'apc', path: pty.host, outlet: 1, timing, timeoutMs: 1000 }),
      {
        logger: silentLogger(),
      },
    );
    await actuator.start();
    // Unplug: the pty pair disappears under the open port.
    pty.socat.kill('SIGKILL');
    await until(() => pdu.proc.exitCode !== null && !existsSync(pty.host), 'pty gone');
    const started = Date.now();
    await assert.rejects(actuator.start(), ActuatorError);
    assert.ok(Date.now() - started < 5000, 'failed fast, did not hang');
    // Plug back in (same by-id path): the next operation reopens the port.
    pty = await ptyPair('unplug');
    pdu = await deviceProcess('apc', pty.device);
    await actuator.powerCycle(1000);
    await until(() => pdu.events.length >= 2, 'events after replug');
    assert.deepEqual(
      pdu.events.map((e) => e.on),
      [false, true],
    );
    await actuator.stop();
    pty.socat.kill();
  },
);
