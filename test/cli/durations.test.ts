import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs } from '../../src/cli/duration.js';
import { parseDurationSeconds } from '../../src/trust/drafts.js';
import { runCli } from './fixtures/run-cli.js';

// One duration grammar for every option: 500ms, 10s, 5m, 1h30m (bare numbers keep the option's unit).
void test("durationMs: the human forms, the option's unit for bare numbers, one clear error", () => {
  assert.equal(durationMs('500ms', '--x'), 500);
  assert.equal(durationMs('10s', '--x'), 10_000);
  assert.equal(durationMs('5m', '--x'), 300_000);
  assert.equal(durationMs('1h30m', '--x'), 5_400_000);
  assert.equal(durationMs('300', '--settle', 'ms'), 300);
  assert.equal(durationMs('3', '--boot-seconds', 's'), 3000);
  assert.throws(
    () => durationMs('5x', '--wait'),
    /^CliError: --wait: "5x" is not a duration \(like 500ms, 10s, 5m, 1h30m\)$/,
  );
  assert.equal(parseDurationSeconds('1h30m'), 5400);
  assert.throws(() => parseDurationSeconds('500ms'), /whole seconds/);
});

void test('the CLI takes the same forms everywhere', async () => {
  const unreachable = 'mqtt://127.0.0.1:9';
  // Accepted (then the broker is unreachable: exit 4, not a usage error).
  for (const args of [
    ['status', '--broker', unreachable, '--settle', '500ms', '--connect-timeout', '500ms'],
    ['status', '--broker', unreachable, '--offline-after', '2h', '--connect-timeout', '1s'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
  }
  const doctor = await runCli(['doctor', '--config', '/nonexistent.yaml', '--timeout', '500ms']);
  assert.equal(doctor.code, 1, doctor.stderr);
  const request = await runCli([
    'request',
    '--agent',
    'pi1',
    '--router-serial',
    'HF1',
    '--enable',
    'container',
    '--method',
    'power',
    '--timeout',
    '1h30m',
    '--requester',
    'noc',
  ]);
  assert.equal(request.code, 0, request.stderr);
  const payload = JSON.parse(
    Buffer.from((JSON.parse(request.stdout) as { payload: string }).payload, 'base64url').toString('utf8'),
  ) as { activationTimeoutSeconds: number };
  assert.equal(payload.activationTimeoutSeconds, 5400);
  for (const args of [
    ['status', '--broker', unreachable, '--settle', 'soon'],
    ['sim', 'router', '--boot-seconds', 'x3'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^dmconfirm: --(settle|boot-seconds): "(soon|x3)" is not a duration/);
  }
});
