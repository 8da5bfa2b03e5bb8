// `dmconfirm actuator test` through a GPIO relay: the real CLI and the real onoff code, in a
// private mount namespace where a fake sysfs stands in for /sys/class/gpio.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSysfs, PI_GENERATIONS } from './fixtures/fake-sysfs.js';
import { canBindSysClass, cliCommand } from './fixtures/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-cli-gpio-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const noNamespace = canBindSysClass()
  ? false
  : 'needs root (CAP_SYS_ADMIN) for `unshare -m` + `mount --bind` over /sys/class';

void test(
  'CLI: a press through an active-low NO relay on BCM 27 (Pi 4, kernel 6.6: sysfs 539)',
  { skip: noNamespace },
  async (t) => {
    const sysfs = new FakeSysfs(PI_GENERATIONS['pi4-kernel6.6']!);
    t.after(() => sysfs.close());
    writeFileSync(join(dir, 'router.pw'), 'pw\n');
    writeFileSync(join(dir, 'trust.json'), '{}');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `agent: { id: a1, site: s1, trustRoot: trust.json }
mqtt: { url: "mqtt://127.0.0.1:1883" }
routers:
  - name: r1
    host: 127.0.0.1
    username: admin
    password: { file: router.pw }
    methods: [button]
    actuators:
      button:
        { driver: gpio, pin: 27, activeLow: true, wiring: normally-open, backend: sysfs, timing: { pressMs: 300 } }
`,
    );
    const cli = cliCommand(['actuator', 'test', '--config', config, '--router', 'r1', '--press', '--yes']);
    const proc = spawn('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$0" /sys/class && exec "$@"',
      sysfs.classDir,
      ...cli,
    ]);
    t.after(() => proc.kill('SIGKILL'));
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.ok(sysfs.exports.includes(539), `exported ${JSON.stringify(sysfs.exports)}`);
    assert.match(out, /done: press of 300 ms/);
    // onoff writes logical values with active_low=1: value 1 energizes the relay (line low).
    assert.equal(sysfs.file(539, 'active_low'), '1');
    const levels = (sysfs.history.get(539) ?? []).map((c) => c.value);
    assert.deepEqual(levels.slice(-2), ['1', '0'], `energized once, then released: ${levels.join(',')}`);
    assert.equal(levels.filter((v) => v === '1').length, 1, 'exactly one press');
    assert.equal(sysfs.physical(539), 1, 'released: relay input high');
  },
);
