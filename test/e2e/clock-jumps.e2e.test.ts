// The real daemon (`dmconfirm agent`) whose wall clock jumps mid-operation, through
// libfaketime (Debian `faketime`): LD_PRELOAD for the daemon child only, CLOCK_MONOTONIC left
// alone (FAKETIME_DONT_FAKE_MONOTONIC=1), and an offset file the test rewrites to step the
// clock (FAKETIME_NO_CACHE=1: read at every clock call). Everything else (mosquitto, the
// simulated router, the operators) keeps real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyAuditFile } from '../../src/audit/verify.js';
import type { AgentResponse } from '../../src/mqtt/contract.js';
import { buildApproval, buildChange, buildChangeRequest, type ChangeOptions } from '../../src/trust/drafts.js';
import { TYP, type Challenge } from '../../src/trust/messages.js';
import { E2E } from './harness.js';

const DAY = 86_400_000;
const MINUTE = 60_000;

/** libfaketime's multi-threaded build (node runs threads), wherever the distribution put it. */
function libfaketime(): string {
  for (const dir of ['/usr/lib', '/usr/local/lib', ...readdirSync('/usr/lib').map((d) => join('/usr/lib', d))]) {
    for (const name of ['faketime/libfaketimeMT.so.1', 'libfaketimeMT.so.1']) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
  }
  throw new Error('libfaketime not found: apt-get install faketime (.ci/run installs it)');
}

/** The daemon's wall clock: an offset from real time, written where libfaketime reads it at every call. */
class FakeClock {
  readonly file: string;
  constructor(dir: string) {
    this.file = join(dir, 'faketime');
    this.set(0);
  }

  set(offsetMs: number): void {
    const seconds = Math.round(offsetMs / 1000);
    writeFileSync(this.file, `${seconds >= 0 ? '+' : ''}${seconds}\n`);
  }

  env(): NodeJS.ProcessEnv {
    return {
      LD_PRELOAD: libfaketime(),
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      NO_FAKE_STAT: '1',
    };
  }
}

/** node under the same preload must see the offset in Date.now() and not in its monotonic clock. */
function checkNodeSeesFakeTime(clock: FakeClock): void {
  clock.set(40 * DAY);
  const script =
    'const m = performance.now(); process.stdout.write(JSON.stringify({ wall: Date.now(), ' +
    'mono: performance.now() - m, hr: Number(process.hrtime.bigint() / 1000000n) }))';
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, ...clock.env() },
    encoding: 'utf8',
    timeout: 20_000,
  });
  clock.set(0);
  assert.equal(run.status, 0, run.stderr);
  const seen = JSON.parse(run.stdout) as { wall: number; hr: number };
  assert.ok(
    Math.abs(seen.wall - (Date.now() + 40 * DAY)) < MINUTE,
    `node under libfaketime reads ${new Date(seen.wall).toISOString()}, expected 40 days ahead`,
  );
  assert.ok(Math.abs(seen.hr - Number(process.hrtime.bigint() / 1_000_000n)) < MINUTE, 'CLOCK_MONOTONIC is not faked');
}

/** The real daemon with the faked wall clock, on the site's configuration and state. */
async function daemon(e2e: E2E, clock: FakeClock, t: { after: (fn: () => void) => void }): Promise<ChildProcess> {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'agent', '--config', e2e.site.configFile],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: '', ...clock.env() },
    },
  );
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (process.env.E2E_LOG) process.stderr.write(output);
  });
  const seen = e2e.observer.seen.length;
  await e2e.observer.waitFor(
    (m) => e2e.observer.seen.indexOf(m) >= seen && m.topic === e2e.topics.status && m.payload.includes('"online"'),
    'daemon online',
    30_000,
  );
  return child;
}

/** A change request signed at `issuedAt` (an operator tool whose clock is `issuedAt`). */
async function changeRequest(e2e: E2E, change: ChangeOptions, issuedAt: number, requestId: string): Promise<string> {
  const team = e2e.site.team;
  const payload = buildChangeRequest({
    agent: e2e.site.agentId,
    router: e2e.router,
    requester: { name: team.requester.name, keyId: team.requester.keyId },
    now: issuedAt,
    change: buildChange(change),
    method: 'power',
    activationTimeoutSeconds: 120,
    requestId,
  });
  return team.sign(payload, TYP.request, [team.requester, ...team.approvers.slice(0, 2)]);
}

async function approval(e2e: E2E, challenge: Challenge, expect: ChangeOptions, issuedAt: number): Promise<string> {
  const team = e2e.site.team;
  const payload = buildApproval(challenge, { now: issuedAt, expect: buildChange(expect), method: 'button' });
  return team.sign(payload, TYP.approval, team.approvers.slice(0, 2));
}

/** The daemon's own clock, as stamped on an answer, is `offsetMs` from real time (within a minute). */
function assertStampedAt(answer: AgentResponse, offsetMs: number, what: string): void {
  const off = Date.parse(answer.at) - Date.now();
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  assert.ok(
    Math.abs(off - offsetMs) < MINUTE,
    `${what}: the daemon stamped ${answer.at}, ${s(off)} from real time, expected ${s(offsetMs)}`,
  );
}

/** SIGTERM: a clean stop (exit 0) after the jumps, then the audit log checks out and tells what happened. */
async function stopAndReadAudit(
  e2e: E2E,
  child: ChildProcess,
): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'clean stop');
  const file = join(e2e.site.dir, 'state', 'audit.jsonl');
  const report = await verifyAuditFile(file);
  assert.ok(report.ok, JSON.stringify(report.problems));
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });
}

function assertRouterSafe(e2e: E2E): void {
  const state = e2e.site.router.state();
  assert.equal(state.power, 'on', 'never left unpowered');
  assert.equal(state.button.down, false, 'no button held');
  assert.deepEqual(state.faults, []);
}

void test('the clock steps 40 days ahead and back: a request accepted before is still a replay', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const clock = new FakeClock(e2e.site.dir);
  checkNodeSeesFakeTime(clock);
  const child = await daemon(e2e, clock, t);

  const first = await changeRequest(e2e, { enable: ['container'] }, Date.now(), 'clock-jump-before');
  await e2e.publish('request', first);
  assert.equal((await e2e.finalAnswer('clock-jump-before')).data.state, 'done');
  assert.equal(e2e.powerCuts, 1);

  // A wrong NTP server steps the (synchronized) clock 40 days ahead, past the replay
  // memory's 30-day retention; an operator tool on the same wrong time gets a request in,
  // and accepting it runs the memory's expiry.
  clock.set(40 * DAY);
  await e2e.publish(
    'request',
    await changeRequest(e2e, { disable: ['container'] }, Date.now() + 40 * DAY, 'clock-jump-during'),
  );
  const during = await e2e.finalAnswer('clock-jump-during');
  assert.equal(during.data.state, 'done', JSON.stringify(during));
  assertStampedAt(during, 40 * DAY, 'during the step');
  assert.equal(e2e.powerCuts, 2);

  // NTP corrects the clock: the first request is a few minutes old again. Anyone who kept
  // it sends it again, re-serialized so it is not a duplicate delivery of the same bytes.
  clock.set(0);
  const replay = JSON.stringify(JSON.parse(first), null, 1);
  const digest = await e2e.publish('request', replay);
  const refused = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.progress('clock-jump-before') &&
      (JSON.parse(m.payload) as AgentResponse).data.inReplyTo === digest,
    'answer to the replay',
    30_000,
  );
  const answer = JSON.parse(refused.payload) as AgentResponse;
  assert.equal(answer.error?.code, 'replayed', JSON.stringify(answer));
  assertStampedAt(answer, 0, 'after the correction');
  await sleep(1500); // a second actuation would have started by now
  assert.equal(e2e.powerCuts, 2, 'acted once per accepted request');
  assert.equal(e2e.site.router.state().deviceMode.features.container, false);
  assertRouterSafe(e2e);
  const audit = await stopAndReadAudit(e2e, child);
  assert.deepEqual(
    audit.filter((e) => e.type === 'accepted').map((e) => e.data.requestId),
    ['clock-jump-before', 'clock-jump-during'],
  );
  assert.deepEqual(
    audit.filter((e) => e.type === 'refused').map((e) => [e.data.requestId, e.data.code]),
    [['clock-jump-before', 'replayed']],
  );
});

void test('clock jumps with a challenge open and during the reboot: the window follows monotonic time', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ routerConfig: { observedActivationTimeoutSeconds: 20 } });
  await e2e.stopAgent();
  const clock = new FakeClock(e2e.site.dir);
  const child = await daemon(e2e, clock, t);

  // Someone requests a change; while the challenge is open the clock steps 10 min ahead,
  // past the challenge's 20 s window by wall time. The window is monotonic: still open.
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  clock.set(10 * MINUTE);
  const approved = await approval(e2e, open.challenge, { enable: ['container'] }, Date.now());
  const requestId = e2e.requestIdOf(approved);
  await e2e.publish('approval', approved);
  // The router reboots; the clock steps a day back meanwhile, then NTP puts it right.
  const rebooting = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.progress(requestId) && (JSON.parse(m.payload) as AgentResponse).data.state === 'rebooting',
    'rebooting',
    30_000,
  );
  assertStampedAt(JSON.parse(rebooting.payload) as AgentResponse, 10 * MINUTE, 'while the challenge was open');
  clock.set(-DAY);
  await sleep(1000);
  clock.set(0);
  const done = await e2e.finalAnswer(requestId);
  assert.equal(done.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  assert.equal(e2e.presses, 1);
  assert.equal(e2e.powerCuts, 0);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);

  // Someone requests another change; the clock steps two hours back, which would keep a
  // wall-clock window open for two more hours. It closes 20 s after it opened all the same,
  // and an approval arriving later (signed on the same wrong time) finds nothing to approve.
  const seen = e2e.observer.seen.length;
  e2e.otherClientUpdate({ disable: ['container'] });
  const second = await e2e.challenge(seen);
  const openedAt = performance.now();
  clock.set(-2 * 60 * MINUTE);
  await e2e.observer.waitFor(
    (m) =>
      e2e.observer.seen.indexOf(m) >= seen &&
      m.topic === e2e.topics.events &&
      m.payload.includes('"operation-expired"'),
    'the challenge expires',
    30_000,
  );
  const openMs = performance.now() - openedAt;
  assert.ok(openMs < 20_000, `open ${Math.round(openMs)} ms after the step, the window is 20 s`);
  const late = await approval(e2e, second.challenge, { disable: ['container'] }, Date.now() - 2 * 60 * MINUTE);
  await e2e.publish('approval', late);
  const lateAnswer = await e2e.finalAnswer(e2e.requestIdOf(late), 30_000);
  assert.equal(lateAnswer.error?.code, 'nonce-stale', JSON.stringify(lateAnswer));
  assertStampedAt(lateAnswer, -2 * 60 * MINUTE, 'after the step back');
  await sleep(1000);
  assert.equal(e2e.presses, 1, 'nothing pressed after the window closed');
  assert.equal(e2e.powerCuts, 0);
  assertRouterSafe(e2e);
  const audit = await stopAndReadAudit(e2e, child);
  assert.deepEqual(
    audit
      .filter((e) => e.type === 'operation' && ['done', 'expired'].includes(e.data.state as string))
      .map((e) => e.data.state),
    ['done', 'expired'],
  );
});

void test('a Pi without RTC starts in 1970: refused until NTP; a 1970 challenge works once after', async (t) => {
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start();
  await e2e.stopAgent();
  const clock = new FakeClock(e2e.site.dir);
  const bootedAt = DAY; // 1970-01-02
  clock.set(bootedAt - Date.now());
  const child = await daemon(e2e, clock, t);

  // Time says 1970: a request signed today is "from the future", refused, nothing acts.
  const early = await changeRequest(e2e, { enable: ['fetch'] }, Date.now(), 'clock-jump-1970');
  await e2e.publish('request', early);
  const refused = await e2e.finalAnswer('clock-jump-1970');
  assert.equal(refused.error?.code, 'issued-in-future', JSON.stringify(refused));
  assertStampedAt(refused, bootedAt - Date.now(), 'before NTP');

  // Someone requests a change while it is still 1970: the challenge carries 1970 times.
  e2e.otherClientUpdate({ enable: ['container'] });
  const open = await e2e.challenge();
  assert.match(open.challenge.issuedAt, /^1970-01-02T/);
  // NTP steps the clock 56 years ahead; the approval quotes the 1970 challenge; its nonce decides.
  clock.set(0);
  const approved = await approval(e2e, open.challenge, { enable: ['container'] }, Date.now());
  const requestId = e2e.requestIdOf(approved);
  await e2e.publish('approval', approved);
  const done = await e2e.finalAnswer(requestId);
  assert.equal(done.data.state, 'done', JSON.stringify(e2e.answers(requestId)));
  assertStampedAt(done, 0, 'after NTP');
  // The same approval again, re-serialized: the nonce is spent and the id remembered.
  const digest = await e2e.publish('approval', JSON.stringify(JSON.parse(approved), null, 1));
  const again = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.progress(requestId) && (JSON.parse(m.payload) as AgentResponse).data.inReplyTo === digest,
    'answer to the second approval',
    30_000,
  );
  assert.equal((JSON.parse(again.payload) as AgentResponse).status, 'error');
  await sleep(1000);
  assert.equal(e2e.presses, 1);
  assert.equal(e2e.powerCuts, 0);
  assert.equal(e2e.site.router.state().deviceMode.features.container, true);

  // The request refused in 1970, sent again byte for byte now that the clock is right: it
  // was refused for the clock alone, so it is verified again (not answered from memory) and
  // carried out, once.
  const before = e2e.answers('clock-jump-1970').length;
  await e2e.publish('request', early);
  const later = await e2e.observer.waitFor(
    (m) =>
      m.topic === e2e.topics.progress('clock-jump-1970') &&
      e2e.observer.seen.filter((s) => s.topic === m.topic).indexOf(m) >= before &&
      (JSON.parse(m.payload) as AgentResponse).data.final,
    'the re-sent request carried out',
    60_000,
  );
  const outcome = JSON.parse(later.payload) as AgentResponse;
  assert.equal(outcome.data.state, 'done', JSON.stringify(e2e.answers('clock-jump-1970')));
  assert.equal(e2e.powerCuts, 1);
  assert.equal(e2e.site.router.state().deviceMode.features.fetch, true);
  assertRouterSafe(e2e);
  const audit = await stopAndReadAudit(e2e, child);
  assert.deepEqual(
    audit.filter((e) => e.type === 'refused' && e.data.requestId === 'clock-jump-1970').map((e) => e.data.code),
    ['issued-in-future'],
  );
  assert.equal(audit.filter((e) => e.type === 'accepted' && e.data.requestId === 'clock-jump-1970').length, 1);
});
