// `dmconfirm probe` and `dmconfirm sim router --behaviour` as a user runs them: real CLI
// processes, a real simulator, the report file in between.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { comparable, parseReport } from '../../src/probe/report.js';
import { SimulatedRouter, type SimulatedRouterOptions } from '../../src/sim/index.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

function run(args: string[], input = ''): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stdin.end(input);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

function workdir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pw'), 'pw\n');
  return dir;
}

async function inProcess(t: TestContext, options: SimulatedRouterOptions): Promise<SimulatedRouter> {
  const r = new SimulatedRouter({ controlPort: false, timeScale: 0.2, password: 'pw', ...options });
  await r.start();
  t.after(() => r.stop());
  return r;
}

/** `dmconfirm sim router` as a child; resolves with its API port once ready. */
async function simChild(t: TestContext, args: string[]): Promise<number> {
  const child = spawn(
    process.execPath,
    [...CLI, 'sim', 'router', '--api-port', '0', '--control-port', 'off', '--time-scale', '0.2', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const port = /api\s+127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (out.includes('ready') && port) resolve(Number(port));
    });
    child.once('exit', () => reject(new Error(`sim exited: ${out}`)));
  });
}

const probeArgs = (dir: string, port: number, out: string) => [
  'probe',
  '--host',
  '127.0.0.1',
  '--port',
  String(port),
  '--user',
  'admin',
  '--password-file',
  join(dir, 'pw'),
  '--out',
  join(dir, out),
  '--time-scale',
  '0.2',
];

void test('probe --with-update asks for yes; a twin started from the report probes the same', async (t) => {
  const dir = workdir(t);
  const port = await simChild(t, [
    '--password-file',
    join(dir, 'pw'),
    '--stall-others',
    '--attempt-count-rises',
    'at-end',
  ]);
  const no = await run([...probeArgs(dir, port, 'r0.json'), '--with-update'], 'no\n');
  assert.equal(no.code, 1, no.out);
  assert.match(no.out, /Type yes to go on[\s\S]*not confirmed; nothing was done/);
  const first = await run([...probeArgs(dir, port, 'r1.json'), '--with-update'], 'yes\n');
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /attempt-count: 0 -> 1 \(this run raised it by 1\)/);
  assert.match(first.out, /stallOthersWhilePending: true .*`stalled` handling applies/);
  const report = parseReport(JSON.parse(readFileSync(join(dir, 'r1.json'), 'utf8')));
  assert.deepEqual(report.behaviours.stallOthersWhilePending, {
    status: 'observed',
    value: true,
    because: "a second session's print got no answer while the update was pending",
  });
  assert.equal(
    report.behaviours.attemptCountRises.status === 'observed' && report.behaviours.attemptCountRises.value,
    'at-end',
  );
  assert.ok(report.evidence.some((e) => e.words[0] === '/system/device-mode/update'));
  assert.ok(!JSON.stringify(report).includes('=password=pw'), 'no password in the report');

  const twinPort = await simChild(t, ['--password-file', join(dir, 'pw'), '--behaviour', join(dir, 'r1.json')]);
  const second = await run([...probeArgs(dir, twinPort, 'r2.json'), '--with-update', '--yes']);
  assert.equal(second.code, 0, second.out);
  assert.deepEqual(comparable(parseReport(JSON.parse(readFileSync(join(dir, 'r2.json'), 'utf8')))), comparable(report));
});

void test('probe is read-only by default and says so; refuses the update run at attempt-count 2', async (t) => {
  const dir = workdir(t);
  const r = await inProcess(t, { deviceMode: { attemptCount: 2 } });
  const ro = await run(probeArgs(dir, r.apiPort, 'ro.json'));
  assert.equal(ro.code, 0, ro.out);
  assert.match(ro.out, /read-only probe: .*safe on a production router/);
  const report = parseReport(JSON.parse(readFileSync(join(dir, 'ro.json'), 'utf8')));
  assert.equal(report.update, null);
  assert.equal(report.behaviours.stallOthersWhilePending.status, 'unobserved');
  assert.ok(!report.evidence.some((e) => e.words[0] === '/system/device-mode/update'));
  const refused = await run([...probeArgs(dir, r.apiPort, 'no.json'), '--with-update', '--yes']);
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /attempt-count is 2: .*refused/);
  assert.equal(r.deviceMode.attemptCount, 2);
  assert.equal(r.state().pending, null);
});

void test('probe over api-ssl pins the certificate fingerprint', async (t) => {
  const dir = workdir(t);
  const r = await inProcess(t, { tls: true });
  const base = [
    'probe',
    '--host',
    '127.0.0.1',
    '--port',
    String(r.apiSslPort),
    '--tls',
    '--user',
    'admin',
    '--password-file',
    join(dir, 'pw'),
    '--out',
    join(dir, 'tls.json'),
  ];
  const wrong = await run([...base, '--fingerprint', 'AA:BB']);
  assert.equal(wrong.code, 1, wrong.out);
  assert.match(wrong.out, /certificate fingerprint .* is not the pinned AABB/);
  const right = await run([...base, '--fingerprint', r.tlsFingerprint256!]);
  assert.equal(right.code, 0, right.out);
  const unpinned = await run(base);
  assert.equal(unpinned.code, 2, unpinned.out);
  assert.match(unpinned.out, /--tls needs --fingerprint/);
});

void test('sim router --behaviour refuses a non-report, another version, or a model without a profile', async (t) => {
  const dir = workdir(t);
  const shipped = JSON.parse(readFileSync('config/behaviours/simulator-defaults.json', 'utf8')) as Record<
    string,
    unknown
  >;
  const cases: Array<[string, unknown, RegExp]> = [
    ['not-json.json', 'not json', /--behaviour: .*JSON/],
    ['v2.json', { ...shipped, version: 2 }, /report version 2 is not supported/],
    ['broken.json', { ...shipped, behaviours: {} }, /behaviours\.progressWhilePending/],
    [
      'model.json',
      { ...shipped, router: { ...(shipped.router as object), simulatorProfile: null, model: 'RB4011' } },
      /no simulator profile for model RB4011/,
    ],
  ];
  for (const [file, body, message] of cases) {
    writeFileSync(join(dir, file), typeof body === 'string' ? body : JSON.stringify(body));
    const got = await run([
      'sim',
      'router',
      '--api-port',
      '0',
      '--control-port',
      'off',
      '--behaviour',
      join(dir, file),
    ]);
    assert.equal(got.code, 2, `${file}: ${got.out}`);
    assert.match(got.out, message, file);
  }
});
