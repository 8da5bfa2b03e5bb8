import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FakeSysfs, PI_GENERATIONS } from './fixtures/fake-sysfs.js';
import { canBindSysClass } from './fixtures/cli-run.js';
import { mapBcmPin, readGpioChips } from '../../src/actuators/gpio-chips.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'gpio-child.ts');
const noNamespace = canBindSysClass()
  ? false
  : 'needs root (CAP_SYS_ADMIN) for `unshare -m` + `mount --bind` over /sys/class';

const children = new Set<ChildProcessWithoutNullStreams>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A child node process that sees `sysfs` as /sys/class/gpio and runs one gpio actuator. */
class GpioChild {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly messages: Array<Record<string, unknown>> = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(sysfs: FakeSysfs, config: object) {
    const script = 'mount --bind "$0" /sys/class && exec "$@"';
    this.proc = spawn('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      sysfs.classDir,
      process.execPath,
      '--import',
      'tsx',
      CHILD,
      JSON.stringify(config),
    ]);
    children.add(this.proc);
    this.proc.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.proc.stdout }).on('line', (line) =>
      this.messages.push(JSON.parse(line) as Record<string, unknown>),
    );
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    void this.exited.then(() => children.delete(this.proc));
  }

  send(line: string): void {
    this.proc.stdin.write(line + '\n');
  }

  async next(event: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.event === event || m.event === 'error');
      if (index >= 0) {
        const [message] = this.messages.splice(index, 1);
        if (message?.event === 'error' && event !== 'error')
          throw new Error(`child: ${String(message.message)}\n${this.stderr}`);
        return message ?? {};
      }
      if (Date.now() > deadline) throw new Error(`child: no "${event}"\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

void test('BCM pins map to sysfs numbers for every Pi generation and kernel', async () => {
  const expected: Record<string, number> = {
    'pi4-kernel6.6': 529,
    'pi3-kernel6.6': 529,
    'pi4-kernel5.15': 17,
    'pi5-kernel6.6': 588,
    'pi5-kernel6.1': 416,
  };
  for (const [generation, chips] of Object.entries(PI_GENERATIONS)) {
    const root = mkdtempSync(join(tmpdir(), 'dmconfirm-chips-'));
    try {
      for (const chip of chips) {
        const dir = join(root, `gpiochip${chip.base}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'base'), `${chip.base}\n`);
        writeFileSync(join(dir, 'ngpio'), `${chip.ngpio}\n`);
        writeFileSync(join(dir, 'label'), `${chip.label}\n`);
      }
      const mapping = mapBcmPin(await readGpioChips(root), 17);
      assert.equal(mapping.sysfs, expected[generation], generation);
      assert.throws(
        () =>
          mapBcmPin(
            chips.map((c, i) => ({ ...c, name: `c${i}` })),
            60,
          ),
        /outside/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  assert.throws(
    () => mapBcmPin([{ name: 'gpiochip0', label: 'gpio-mockup-A', base: 0, ngpio: 8 }], 3),
    /set chipLabel/,
  );
  assert.equal(
    mapBcmPin([{ name: 'gpiochip0', label: 'gpio-mockup-A', base: 0, ngpio: 8 }], 3, 'gpio-mockup-A').sysfs,
    3,
  );
});

const buttonConfig = { driver: 'gpio', pin: 17, activeLow: true, wiring: 'normally-open', backend: 'sysfs' };

void test(
  'real onoff on a fake sysfs: export, released level without a glitch, press edges and timing',
  { skip: noNamespace },
  async () => {
    const sysfs = new FakeSysfs(PI_GENERATIONS['pi5-kernel6.6'] ?? []);
    try {
      const child = new GpioChild(sysfs, buttonConfig);
      assert.equal((await child.next('started')).kind, 'gpio');
      await sysfs.waitFor(() => sysfs.file(588, 'direction') === 'out');
      assert.deepEqual(sysfs.exports, [588]);
      assert.equal(sysfs.file(588, 'active_low'), '1');
      assert.equal(sysfs.physical(588), 1, 'active-low relay input held high = released');
      // The value never showed an energized level between export and now.
      assert.deepEqual(
        sysfs.history
          .get(588)
          ?.map((h) => h.value)
          .filter((v) => v === '1'),
        [],
      );

      child.send('press 300');
      const report = (await child.next('report')).report as {
        edges: Array<{ edge: string; monoMs: number }>;
        effectiveMs: number;
      };
      const values = sysfs.history.get(588) ?? [];
      const down = values.find((h) => h.value === '1');
      const up = values.findLast((h) => h.value === '0');
      assert.ok(down && up && up.at > down.at, JSON.stringify(values));
      const held = up.at - down.at;
      assert.ok(held >= 150 && held < 2000, `pin held ${held} ms`); // observed by polling from another process
      assert.equal(sysfs.physical(588), 1);
      const [d, u] = report.edges;
      assert.ok(d && u);
      assert.ok(u.monoMs - d.monoMs >= 299, 'reported hold');
      child.send('stop');
      await child.next('stopped');
      assert.equal(await child.exited, 0);
      assert.equal(sysfs.physical(588), 1, 'stop leaves the pin driven released');
    } finally {
      sysfs.close();
    }
  },
);

void test(
  'SIGKILL mid-press leaves the pin energized; the next start forces it released',
  { skip: noNamespace },
  async () => {
    const sysfs = new FakeSysfs(PI_GENERATIONS['pi4-kernel6.6'] ?? []);
    try {
      const first = new GpioChild(sysfs, { ...buttonConfig, timing: { pressMaxMs: 2000 } });
      await first.next('started');
      await sysfs.waitFor(() => sysfs.file(529, 'direction') === 'out');
      first.send('press 2000');
      await sysfs.waitFor(() => sysfs.physical(529) === 0);
      first.proc.kill('SIGKILL');
      await first.exited;
      assert.equal(sysfs.physical(529), 0, 'a killed process leaves the relay energized: only start-up can fix it');

      const second = new GpioChild(sysfs, buttonConfig);
      await second.next('started');
      assert.equal(sysfs.physical(529), 1, 'start-up forced the released level on the pin left exported');
      assert.deepEqual(sysfs.exports, [529], 'already exported: not exported again');
      second.send('stop');
      assert.equal(await second.exited, 0);
    } finally {
      sysfs.close();
    }
  },
);

void test(
  'a power relay on an active-high board left as an input starts powered, without an energizing level',
  { skip: noNamespace },
  async () => {
    const sysfs = new FakeSysfs(PI_GENERATIONS['pi4-kernel5.15'] ?? []);
    try {
      sysfs.preExport(22, { direction: 'in', value: '1', active_low: '0' });
      const child = new GpioChild(sysfs, {
        driver: 'gpio',
        pin: 22,
        activeLow: false,
        wiring: 'normally-closed',
        backend: 'sysfs',
      });
      await child.next('started');
      await sysfs.waitFor(() => sysfs.file(22, 'direction') === 'out');
      assert.equal(sysfs.physical(22), 0);
      assert.equal(sysfs.file(22, 'active_low'), '0');
      child.send('cycle 2000');
      const report = (await child.next('report')).report as { edges: Array<{ edge: string }> };
      assert.deepEqual(
        report.edges.map((e) => e.edge),
        ['power-off', 'power-on'],
      );
      assert.ok(
        (sysfs.history.get(22) ?? []).some((h) => h.value === '1'),
        'the relay was energized during the cycle',
      );
      assert.equal(sysfs.physical(22), 0);
      child.send('stop');
      assert.equal(await child.exited, 0);
    } finally {
      sysfs.close();
    }
  },
);
