import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpioActuatorSchema, lcusActuatorSchema } from '../../src/config/actuator-schema.js';
import { doctorExitCode, formatCheck, formatSummary } from '../../src/doctor/check.js';
import { gpioFacts, judgeGpio, judgeSerial, type GpioFacts } from '../../src/doctor/actuator-checks.js';
import { judgeAgentKey, judgeClock, judgeStateDir, judgeUser, secretPath } from '../../src/doctor/local-checks.js';
import { judgeDeviceMode, judgeRouterError } from '../../src/doctor/network-checks.js';
import { RouterAuthError, RouterTlsError, RouterUnreachableError } from '../../src/routeros/errors.js';
import { modeDefaults } from '../../src/routeros/device-mode.js';

const gpio = gpioActuatorSchema.parse({ driver: 'gpio', pin: 17, wiring: 'normally-closed' });
const lcus = lcusActuatorSchema.parse({ driver: 'lcus', path: '/dev/ttyUSB0', wiring: 'normally-open' });
const endpoint = { host: '192.0.2.1', username: 'dmconfirm', password: { reveal: () => 'x' } };
const sysfsOk: GpioFacts = {
  sysfsReason: undefined,
  sysfsMapping: { ok: true, text: 'BCM 17 → sysfs gpio529' },
  chips: [],
  gpiosetOnPath: false,
};
const noSysfs = 'no sysfs';

void test('exit code, line format and summary', () => {
  const failed = { name: 'x', status: 'fail' as const, detail: 'd', fix: 'f' };
  assert.equal(
    doctorExitCode([
      { name: 'a', status: 'ok', detail: '' },
      { name: 'b', status: 'warn', detail: '', fix: '' },
    ]),
    0,
  );
  assert.equal(doctorExitCode([failed]), 1);
  assert.deepEqual(formatCheck(failed), ['FAIL  x: d', '      fix: f']);
  assert.deepEqual(formatCheck({ name: 'a', status: 'ok', detail: 'fine' }), ['PASS  a: fine']);
  assert.equal(formatSummary([failed]), '1 checks: 0 passed, 0 warning(s), 1 failed');
});

void test('state directory: missing, not writable, world-readable, good', () => {
  assert.match(judgeStateDir({ path: '/s', error: 'ENOENT' }).fix ?? '', /install -d -m 0700 -o dmconfirm/);
  assert.equal(judgeStateDir({ path: '/s', isDirectory: false }).status, 'fail');
  assert.match(
    judgeStateDir({ path: '/s', isDirectory: true, writable: false, mode: 0o700 }).fix ?? '',
    /chown -R dmconfirm/,
  );
  const open = judgeStateDir({ path: '/s', isDirectory: true, writable: true, mode: 0o40755 });
  assert.equal(open.status, 'warn');
  assert.match(open.detail, /mode 0755/);
  assert.equal(judgeStateDir({ path: '/s', isDirectory: true, writable: true, mode: 0o40700 }).status, 'ok');
});

void test('clock: by mode and sync state', () => {
  assert.equal(judgeClock('systemd', true).status, 'ok');
  assert.match(judgeClock('systemd', false).fix ?? '', /timedatectl set-ntp true/);
  assert.equal(judgeClock('systemd', false).status, 'fail');
  assert.equal(judgeClock('assume-synced', false).status, 'ok');
  assert.equal(judgeClock('assume-unsynced', true).status, 'warn');
});

void test('user: root gets a warning, anyone else nothing', () => {
  assert.equal(judgeUser(0)?.status, 'warn');
  assert.equal(judgeUser(1000), undefined);
});

void test('agent key: absent, not PEM, not Ed25519, loose mode, good', () => {
  assert.equal(judgeAgentKey(undefined).status, 'warn');
  assert.equal(judgeAgentKey({ source: 'file /k', parseError: 'bad' }).status, 'fail');
  assert.match(judgeAgentKey({ source: 'file /k', keyType: 'rsa' }).detail, /rsa key, not Ed25519/);
  assert.match(
    judgeAgentKey({ source: 'file /k', keyType: 'ed25519', mode: 0o100640 }, '/k').fix ?? '',
    /^chmod 600 \/k/,
  );
  assert.equal(judgeAgentKey({ source: 'file /k', keyType: 'ed25519', mode: 0o100600 }).status, 'ok');
  assert.equal(judgeAgentKey({ source: 'credential agent.key', keyType: 'ed25519', mode: 0o100400 }).status, 'ok');
});

void test('secretPath: files as is, credentials under $CREDENTIALS_DIRECTORY', () => {
  assert.equal(secretPath({ source: 'file /etc/k' }, undefined), '/etc/k');
  assert.equal(secretPath({ source: 'credential agent.key' }, '/run/credentials/x'), '/run/credentials/x/agent.key');
  assert.equal(secretPath({ source: 'credential agent.key' }, undefined), undefined);
});

void test('gpio: sysfs mapped, sysfs required but missing, unmappable pin', () => {
  assert.equal(judgeGpio('p', gpio, sysfsOk).status, 'ok');
  const required = judgeGpio('p', { ...gpio, backend: 'sysfs' }, { ...sysfsOk, sysfsReason: noSysfs });
  assert.equal(required.status, 'fail');
  assert.match(required.fix ?? '', /usermod -aG gpio dmconfirm/);
  const unmapped = judgeGpio('p', gpio, {
    ...sysfsOk,
    sysfsMapping: { ok: false, error: 'no gpiochip labelled pinctrl' },
  });
  assert.match(unmapped.fix ?? '', /chipLabel/);
});

void test('gpio: auto falls back to gpioset: no chip, chip not writable, no tool, good', () => {
  const facts = { sysfsReason: noSysfs, chips: [], gpiosetOnPath: true };
  assert.match(judgeGpio('p', gpio, facts).detail, /sysfs unusable \(no sysfs\); no \/dev\/gpiochip/);
  const locked = judgeGpio('p', gpio, { ...facts, chips: [{ path: '/dev/gpiochip0', writable: false }] });
  assert.match(locked.fix ?? '', /usermod -aG gpio/);
  const noTool = judgeGpio('p', gpio, {
    ...facts,
    chips: [{ path: '/dev/gpiochip0', writable: true }],
    gpiosetOnPath: false,
  });
  assert.match(noTool.fix ?? '', /apt install gpiod/);
  assert.equal(judgeGpio('p', gpio, { ...facts, chips: [{ path: '/dev/gpiochip0', writable: true }] }).status, 'ok');
});

void test('gpio facts: maps BCM through a fake sysfs tree, lists gpiochip devices', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'dmconfirm-gpiofacts-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const chip = join(root, 'sys', 'gpiochip512');
  await mkdir(chip, { recursive: true });
  await Promise.all([
    writeFile(join(chip, 'label'), 'pinctrl-bcm2711\n'),
    writeFile(join(chip, 'base'), '512\n'),
    writeFile(join(chip, 'ngpio'), '58\n'),
  ]);
  await mkdir(join(root, 'dev'));
  await writeFile(join(root, 'dev', 'gpiochip0'), '');
  const facts = await gpioFacts(gpio, {
    sysfsReason: () => undefined,
    sysfsRoot: join(root, 'sys'),
    devDir: join(root, 'dev'),
    pathEnv: '',
  });
  assert.deepEqual(facts.sysfsMapping, { ok: true, text: 'BCM 17 → sysfs gpio529 on gpiochip512 "pinctrl-bcm2711"' });
  assert.deepEqual(facts.chips, [{ path: join(root, 'dev', 'gpiochip0'), writable: true }]);
  assert.equal(facts.gpiosetOnPath, false);
});

void test('serial: missing, not a device, no access, good', () => {
  assert.match(judgeSerial('p', lcus, { error: 'ENOENT' }).fix ?? '', /\/dev\/serial\/by-id/);
  assert.equal(judgeSerial('p', lcus, { isCharDevice: false, accessible: true }).status, 'fail');
  assert.match(
    judgeSerial('p', lcus, { isCharDevice: true, accessible: false }).fix ?? '',
    /usermod -aG dialout dmconfirm/,
  );
  assert.equal(judgeSerial('p', lcus, { isCharDevice: true, accessible: true }).status, 'ok');
});

void test('router errors: auth, unreachable, stalled login, TLS each get their own fix', () => {
  const auth = judgeRouterError(
    'r API',
    endpoint,
    new RouterAuthError('invalid user name or password', endpoint.host),
    'routers[0]',
  );
  assert.match(auth.detail, /192\.0\.2\.1:8728: login refused for user "dmconfirm"/);
  assert.match(auth.fix ?? '', /routers\[0\]\.username and the password/);
  const down = judgeRouterError(
    'r API',
    endpoint,
    new RouterUnreachableError('connect ECONNREFUSED', endpoint.host),
    'routers[0]',
  );
  assert.match(down.fix ?? '', /\/ip service print/);
  const stalled = new RouterUnreachableError('login timed out', endpoint.host);
  stalled.loginStalled = true;
  assert.match(judgeRouterError('r API', endpoint, stalled, 'routers[0]').detail, /pending device-mode change/);
  const tls = judgeRouterError(
    'r API',
    { ...endpoint, tls: { enabled: true } },
    new RouterTlsError('fingerprint mismatch', endpoint.host),
    'routers[0]',
  );
  assert.match(tls.detail, /:8729: fingerprint mismatch/);
  assert.match(tls.fix ?? '', /tls\.fingerprint/);
});

void test('device-mode: flagged fails, exhausted attempts warn', () => {
  const base = {
    mode: 'home' as const,
    features: modeDefaults('home'),
    flagged: false,
    flaggingEnabled: true,
    allowedVersions: '',
    attemptCount: 0,
  };
  assert.equal(judgeDeviceMode('d', base).status, 'ok');
  assert.equal(judgeDeviceMode('d', { ...base, flagged: true }).status, 'fail');
  assert.match(judgeDeviceMode('d', { ...base, attemptCount: 3 }).fix ?? '', /power cycle/);
});
