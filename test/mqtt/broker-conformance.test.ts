/**
 * The broker conformance probe (test/helpers/broker-conformance.ts) is only worth its
 * verdicts if it can fail: real mosquitto with the shipped ACL passes every feature; two
 * mosquittos that are not one cluster fail every cross-node feature; mosquitto without the
 * ACL fails the ACL check; and each verdict fails on the observation a broker lacking the
 * feature produces.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROBE_USERS, probeBroker, shippedAclIdentities } from '../helpers/broker-conformance.js';
import * as judge from '../helpers/broker-verdicts.js';
import { Mosquitto } from '../helpers/mosquitto.js';

const ACL = readFileSync(new URL('../../config/mosquitto-acl.conf', import.meta.url), 'utf8');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'correct-horse';
const identities = shippedAclIdentities(PASSWORD);

let secured: Mosquitto;
let open: Mosquitto;
let other: Mosquitto;
before(async () => {
  // The shipped ACL verbatim, plus one user for the probe's own topics.
  secured = new Mosquitto({ extraConfig: ['allow_anonymous false'] });
  const acl = secured.writeFile('acl', `${ACL}\nuser prober\ntopic readwrite dmconfirm-probe/#\n`);
  const passwd = secured.writeFile('passwd', '');
  for (const user of PROBE_USERS) execFileSync('mosquitto_passwd', ['-b', passwd, user, PASSWORD]);
  secured.extraConfig.push(`acl_file ${acl}`, `password_file ${passwd}`);
  open = new Mosquitto({ extraConfig: ['allow_anonymous true'] });
  other = new Mosquitto({ extraConfig: ['allow_anonymous true'] });
  await Promise.all([secured.start(), open.start(), other.start()]);
});
after(async () => {
  await Promise.all([secured.dispose(), open.dispose(), other.dispose()]);
});

const byFeature = (verdicts: judge.Verdict[]) => new Map(verdicts.map((v) => [v.feature, v]));

void test('mosquitto with the shipped ACL passes every feature the contract relies on', async () => {
  const verdicts = await probeBroker({ publishUrl: secured.url, receiveUrl: secured.url, ...identities });
  assert.equal(verdicts.length, 7);
  for (const v of verdicts) assert.equal(v.status, 'pass', `${v.feature}: ${v.evidence}`);
  const seen = byFeature(verdicts);
  assert.match(seen.get('persistent-session')!.evidence, /delivered \[order-1, order-2, order-3\]/);
  assert.match(seen.get('per-client-acl')!.evidence, /another agent's order delivered false/);
});

void test('two brokers that are not one cluster fail every feature that crosses nodes', async () => {
  const verdicts = byFeature(
    await probeBroker({ publishUrl: open.url, receiveUrl: other.url, timeoutMs: 1000 }, [
      'routing',
      'retained',
      'will',
      'session',
      'expiry',
      'rap',
    ]),
  );
  for (const feature of [
    'qos1-routing',
    'retained',
    'will',
    'persistent-session',
    'message-expiry',
    'retain-as-published',
  ] as const) {
    assert.equal(verdicts.get(feature)?.status, 'fail', `${feature}: ${verdicts.get(feature)?.evidence}`);
  }
  assert.match(verdicts.get('persistent-session')!.evidence, /session present false/);
  assert.match(verdicts.get('retained')!.evidence, /a later subscriber got nothing/);
});

void test('a broker without per-client rules fails the ACL check: one agent reads the orders of another', async () => {
  const [verdict] = await probeBroker({ publishUrl: open.url, receiveUrl: open.url, acl: identities.acl }, ['acl']);
  assert.equal(verdict?.status, 'fail');
  assert.match(verdict.evidence, /another agent's order delivered true/);
  assert.match(verdict.evidence, /another agent's status published true/);
});

void test('without identities the ACL check says it was skipped, never that it passed', async () => {
  const [verdict] = await probeBroker({ publishUrl: open.url, receiveUrl: open.url }, ['acl']);
  assert.equal(verdict?.status, 'skipped');
});

void test('bench/broker-probe.ts prints a line per feature and exits 1 when one fails', () => {
  const probe = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/broker-probe.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  const one = probe(open.url, '--only', 'routing,rap');
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /^PASS +qos1-routing +via \+: QoS 1/m);
  assert.match(one.stdout, /^PASS +retain-as-published /m);
  const apart = probe(open.url, other.url, '--only', 'routing', '--timeout-ms', '500');
  assert.equal(apart.status, 1);
  assert.match(apart.stdout, /^FAIL +qos1-routing +via \+: nothing; via #: nothing$/m);
  const typo = probe(open.url, '--only', 'retain');
  assert.notEqual(typo.status, 0);
  assert.match(typo.stderr, /unknown check\(s\) retain; known: routing, retained/);
});

void test('each verdict fails on what a broker lacking the feature shows', () => {
  const session = {
    requestedExpiry: 86_400,
    sessionPresent: true,
    expected: ['o1', 'o2'],
    delivered: ['o1', 'o2'],
    serverDisconnects: [],
  };
  assert.equal(judge.judgeSession(session).status, 'pass');
  // A broker that caps the session expiry below what the agent asks (EMQX, ejabberd default 5 min).
  assert.equal(judge.judgeSession({ ...session, grantedExpiry: 300 }).status, 'fail');
  assert.equal(judge.judgeSession({ ...session, delivered: ['o1'] }).status, 'fail');
  assert.equal(judge.judgeSession({ ...session, sessionPresent: false }).status, 'fail');
  // Taken over by another node after a resume (DISCONNECT 0x8e), even with everything delivered.
  assert.equal(judge.judgeSession({ ...session, serverDisconnects: [0x8e] }).status, 'fail');

  const expiry = { delivered: ['k1', 'k2'], expected: ['k1', 'k2'], retainedExpiredDelivered: false, sentExpiry: 2 };
  assert.equal(judge.judgeExpiry({ ...expiry, liveExpiry: 2 }).status, 'pass');
  assert.equal(judge.judgeExpiry({ ...expiry, liveExpiry: 2, delivered: ['stale', 'k1', 'k2'] }).status, 'fail');
  assert.equal(judge.judgeExpiry({ ...expiry, liveExpiry: 2, retainedExpiredDelivered: true }).status, 'fail');
  assert.equal(judge.judgeExpiry(expiry).status, 'fail', 'expiry not carried to a live subscriber');

  assert.equal(judge.judgeRap({ withRap: true, withoutRap: false }).status, 'pass');
  assert.equal(judge.judgeRap({ withRap: false, withoutRap: false }).status, 'fail');
  assert.equal(judge.judgeRetained({ late: { payload: 's', retain: true }, afterClear: 's' }).status, 'fail');
  assert.equal(judge.judgeRetained({ late: { payload: 's', retain: false } }).status, 'fail');
  assert.equal(judge.judgeWill({ live: 'lost' }).status, 'fail', 'a will that is not kept retained');
  assert.equal(judge.judgeRouting({ viaPlus: 1, viaHash: 0 }).status, 'fail', 'downgraded to QoS 0');
  const acl = {
    ownOrder: true,
    foreignOrder: false,
    ownStatus: true,
    foreignStatus: false,
    ownSubscribeCode: 1,
    operatorSubscribeCode: 1,
    foreignSubscribeCodes: [0x87],
  };
  assert.equal(judge.judgeAcl(acl).status, 'pass');
  assert.equal(judge.judgeAcl({ ...acl, foreignStatus: true }).status, 'fail');
  assert.equal(judge.judgeAcl({ ...acl, ownOrder: false }).status, 'fail', 'rules so tight the agent gets nothing');
});
