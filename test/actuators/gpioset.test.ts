import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { createActuator } from '../../src/actuators/index.js';
import { actuatorSchema } from '../../src/config/actuator-schema.js';
import { gpiosetArgs, parseLibgpiodVersion, pickChip } from '../../src/actuators/gpioset.js';
import { ActuatorUnavailableError } from '../../src/actuators/errors.js';
import { gpiosetPulseCommand, sysfsPulseCommand } from '../../src/actuators/gpio-pulse.js';

/** Fake libgpiod tools that log each call with a timestamp (ms since the epoch). */
function fakeTools(version: string, detect: string): { dir: string; calls: () => Array<{ at: number; args: string }> } {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-gpioset-'));
  const log = join(dir, 'calls.log');
  const gpioset = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "gpioset (libgpiod) ${version}"; exit 0; fi
echo "$(date +%s%3N) $*" >> "${log}"
# Hold like the real tools: v1 --mode=time --usec=N; v2 -t MSms,0 toggles the line after MS and exits.
case "$1" in --mode=time) sleep "$(awk "BEGIN { print \${2#--usec=} / 1000000 }")" ;; esac
if [ "$3" = "-t" ] && [ "$4" != "0" ]; then
  sleep "$(awk "BEGIN { print \${4%%ms,0} / 1000 }")"
  echo "$(date +%s%3N) toggled $5" >> "${log}"
fi
`;
  writeFileSync(join(dir, 'gpioset'), gpioset);
  writeFileSync(join(dir, 'gpiodetect'), `#!/bin/sh\nprintf '%s\\n' "${detect}"\n`);
  chmodSync(join(dir, 'gpioset'), 0o755);
  chmodSync(join(dir, 'gpiodetect'), 0o755);
  const calls = (): Array<{ at: number; args: string }> => {
    try {
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ at: Number(line.split(' ')[0]), args: line.slice(line.indexOf(' ') + 1) }));
    } catch {
      return [];
    }
  };
  return { dir, calls };
}

void test('libgpiod version, chip and command lines for v1 and v2', () => {
  assert.equal(parseLibgpiodVersion('gpioset (libgpiod) v1.6.3\nCopyright'), 1);
  assert.equal(parseLibgpiodVersion('gpioset (libgpiod) v2.1.1'), 2);
  assert.throws(() => parseLibgpiodVersion('busybox'), ActuatorUnavailableError);
  const detect = 'gpiochip0 [gpio-brcmstb@107d508500] (32 lines)\ngpiochip4 [pinctrl-rp1] (54 lines)';
  assert.equal(pickChip(detect), 'gpiochip4');
  assert.throws(() => pickChip('gpiochip0 [gpio-mockup-A] (8 lines)'), /set chipLabel|labelled/);
  assert.deepEqual(gpiosetArgs(1, 'gpiochip0', 17, 1), ['--mode=exit', 'gpiochip0', '17=1']);
  assert.deepEqual(gpiosetArgs(2, 'gpiochip4', 17, 0), ['-c', 'gpiochip4', '-t0', '17=0']);
});

for (const [version, expectOn, expectUp, expectOff] of [
  ['v1.6.3', '--mode=time --usec=300000 gpiochip0 17=0', '--mode=exit gpiochip0 17=1', '--mode=exit gpiochip0 17=1'],
  ['v2.1', '-c gpiochip0 -t 300ms,0 17=0', 'toggled 17=0', '-c gpiochip0 -t0 17=1'],
] as const) {
  // The press is timed by the child holding the line (gpioset's own sleep), not by Node's event
  // loop; the driver then re-asserts the released level as after any pulse.
  void test(`gpioset ${version}: released at start, a press held and released by gpioset, re-asserted`, async () => {
    const tools = fakeTools(
      version,
      'gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip1 [raspberrypi-exp-gpio] (8 lines)',
    );
    try {
      const config = actuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-open', backend: 'gpioset' });
      const actuator = createActuator(config, { logger: silentLogger(), gpioToolDir: tools.dir });
      assert.equal(actuator.kind, 'gpio');
      await actuator.start();
      assert.deepEqual(
        tools.calls().map((c) => c.args),
        [expectOff],
      );
      await actuator.press(300);
      const calls = tools.calls();
      assert.deepEqual(
        calls.map((c) => c.args),
        [expectOff, expectOn, expectUp, expectOff],
      );
      const held = (calls[2]?.at ?? 0) - (calls[1]?.at ?? 0);
      assert.ok(held >= 250 && held < 3000, `held ${held} ms`);
      await actuator.stop();
      assert.equal(tools.calls().at(-1)?.args, expectOff);
    } finally {
      rmSync(tools.dir, { recursive: true, force: true });
    }
  });
}

void test('without the tools the error says what to install', async () => {
  const config = actuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-closed', backend: 'gpioset' });
  const actuator = createActuator(config, { logger: silentLogger(), gpioToolDir: '/nonexistent' });
  await assert.rejects(actuator.start(), /gpioset not found: install libgpiod tools/);
});

const onPath = (tool: string): boolean =>
  (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, tool)));
const hasChips = existsSync('/dev') && readdirSync('/dev').some((name) => name.startsWith('gpiochip'));
// gpio-sim/gpio-mockup would give a real chip, but containers cannot load kernel modules.
const realToolSkip = !onPath('gpioset') ? 'gpioset not installed' : hasChips ? 'this host has real gpiochips' : false;

void test(
  'the real gpioset explains a host without gpiochips, and why sysfs was not used',
  { skip: realToolSkip },
  async () => {
    const config = actuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-closed' });
    const actuator = createActuator(config, { logger: silentLogger() });
    // In a container without /dev/gpiochip*, gpiodetect lists nothing: the error must say so.
    await assert.rejects(
      actuator.start(),
      (error: Error) =>
        error instanceof ActuatorUnavailableError && /gpiochip/.test(error.message) && /sysfs/.test(error.message),
    );
  },
);

void test('timed press: v2 one gpioset with a toggle period, v1 a shell of hold and release, sysfs a shell', () => {
  assert.deepEqual(gpiosetPulseCommand(2, '/usr/bin/gpioset', 'gpiochip4', 17, 0, 250), {
    file: '/usr/bin/gpioset',
    args: ['-c', 'gpiochip4', '-t', '250ms,0', '17=0'],
  });
  const v1 = gpiosetPulseCommand(1, 'gpioset', 'gpiochip0', 27, 1, 300);
  assert.equal(v1.file, 'sh');
  assert.deepEqual(v1.args.slice(2), ['gpioset', '300000', 'gpiochip0', '27', '1', '0']);
  assert.deepEqual(sysfsPulseCommand('/sys/class/gpio/gpio529/value', 120).args.slice(2), [
    '/sys/class/gpio/gpio529/value',
    '0.120',
  ]);
});

void test('a timed-press child that fails or hangs: the press fails, the driver releases the line', async () => {
  const tools = fakeTools('v2.1', 'gpiochip0 [pinctrl-bcm2711] (58 lines)');
  try {
    // This gpioset holds far too long on a timed press (it would keep the button down).
    const gpioset = join(tools.dir, 'gpioset');
    writeFileSync(
      gpioset,
      readFileSync(gpioset, 'utf8').replace(
        'if [ "$3" = "-t" ]',
        'if [ "$4" = "200ms,0" ]; then sleep 60; fi\nif [ "$3" = "-t" ]',
      ),
    );
    const config = actuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-open', backend: 'gpioset' });
    const actuator = createActuator(config, { logger: silentLogger(), gpioToolDir: tools.dir });
    await actuator.start();
    await assert.rejects(actuator.press(200), /timed press child exited SIGKILL/);
    assert.equal(tools.calls().at(-1)?.args, '-c gpiochip0 -t0 17=1', 'released by the driver after killing the child');
    await actuator.stop();
  } finally {
    rmSync(tools.dir, { recursive: true, force: true });
  }
});

/** Adds to the fake gpioset a log of the scheduling policy each timed press ran under. */
function logPolicy(dir: string): () => string[] {
  const gpioset = join(dir, 'gpioset');
  const policies = join(dir, 'policy.log');
  const probe = `if [ "$3" = "-t" ] && [ "$4" != "0" ]; then chrt -p $$ 2>&1 | head -1 >> "${policies}"; fi\n`;
  writeFileSync(
    gpioset,
    readFileSync(gpioset, 'utf8').replace('if [ "$3" = "-t" ]', (hold) => probe + hold),
  );
  return () => (existsSync(policies) ? readFileSync(policies, 'utf8').trim().split('\n') : []);
}

const rtAllowed = ((): boolean => {
  try {
    execFileSync('chrt', ['--fifo', '20', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Measured in bench/press.ts: with every core busy, a timing child at normal priority wakes
// from its hold 20-100 ms late at p99; at SCHED_FIFO it wakes at once.
void test(
  'a timed press runs its child at real-time priority (SCHED_FIFO) where allowed',
  { skip: rtAllowed ? false : 'chrt --fifo not allowed here' },
  async () => {
    const tools = fakeTools('v2.1', 'gpiochip0 [pinctrl-bcm2711] (58 lines)');
    const policies = logPolicy(tools.dir);
    try {
      const config = actuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-open', backend: 'gpioset' });
      const actuator = createActuator(config, { logger: silentLogger(), gpioToolDir: tools.dir });
      await actuator.start();
      await actuator.press(100);
      await actuator.stop();
      assert.equal(policies().length, 1);
      assert.match(policies()[0]!, /SCHED_FIFO/);
    } finally {
      rmSync(tools.dir, { recursive: true, force: true });
    }
  },
);

void test('without real-time priority presses still work; the log says how to allow it', async () => {
  const tools = fakeTools('v2.1', 'gpiochip0 [pinctrl-bcm2711] (58 lines)');
  const policies = logPolicy(tools.dir);
  const chrt = join(tools.dir, 'chrt');
  writeFileSync(chrt, '#!/bin/sh\necho "chrt: failed to set pid 0\'s policy: Operation not permitted" >&2\nexit 1\n');
  chmodSync(chrt, 0o755);
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  try {
    const config = actuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-open', backend: 'gpioset' });
    const actuator = createActuator(config, { logger, gpioToolDir: tools.dir, chrtTool: chrt });
    await actuator.start();
    await actuator.press(100);
    await actuator.stop();
    assert.equal(policies().length, 1);
    assert.doesNotMatch(policies()[0]!, /SCHED_FIFO/);
    const warning = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; why?: string })
      .find((l) => l.level === 40 && /normal priority/.test(l.msg));
    assert.ok(warning, 'warned');
    assert.match(warning.msg, /LimitRTPRIO=20/);
    assert.match(warning.why ?? '', /Operation not permitted/);
  } finally {
    rmSync(tools.dir, { recursive: true, force: true });
  }
});
