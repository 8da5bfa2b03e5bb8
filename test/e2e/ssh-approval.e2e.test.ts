// Issue 14 end to end: a 2-of-3 approval where one approver signs with ssh-agent (real) and one
// with a security key (test-built FIDO signature) is carried out by the agent over MQTT (real
// mosquitto); every forged or replayed security-key signature is refused with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { OperatorTeam } from '../../src/demo/operators.js';
import { buildApproval, buildChange } from '../../src/trust/drafts.js';
import { cosignEnvelope, signPayload } from '../../src/trust/jws.js';
import type { Envelope } from '../../src/trust/jws.js';
import { TYP } from '../../src/trust/messages.js';
import type { Challenge } from '../../src/trust/messages.js';
import { addKey, initRoot } from '../../src/trust/root-edit.js';
import { SshAgentClient } from '../../src/trust/ssh/agent.js';
import type { SshSigner } from '../../src/trust/ssh/agent.js';
import { sshSigningKey } from '../../src/trust/ssh/ssh-sign.js';
import { sshKeyEntry, sshKeyInfo } from '../../src/trust/ssh/trusted-key.js';
import { tempDir } from '../trust/fixtures.js';
import {
  NS,
  plainSshSig,
  pubLine,
  readPub,
  skBlob,
  skEntry,
  sshAdd,
  sshKeygenKey,
  startSshAgent,
  testKey,
  UP,
  UV,
} from '../trust/ssh-fixtures.js';
import type { SkOptions } from '../trust/ssh-fixtures.js';
import { E2E } from './harness.js';
import { ledgerSections } from './state-files.js';

const carol = testKey();
const carolKey = sshKeyInfo(sshKeyEntry(pubLine(skBlob(carol)), { verifyRequired: true }), 'carol');

/** alice (Ed25519 file), bob (ssh-agent), carol (security key, verify-required): 2 of 3 approve. */
async function sshRoot(team: OperatorTeam, bobPub: string): Promise<string> {
  let payload = initRoot({
    rootKeys: team.roots,
    approverKeys: [team.approvers[0]!],
    requesterKeys: [team.requester],
    rootThreshold: 2,
    approverThreshold: 1,
    suggestedRules: false,
  });
  payload = addKey(payload, sshKeyInfo(sshKeyEntry(bobPub), 'bob'), ['approver']);
  payload = addKey(payload, carolKey, ['approver']);
  payload = { ...payload, thresholds: { root: 2, approver: 2 } };
  let envelope = await signPayload(payload, TYP.root, team.roots[0]);
  envelope = await cosignEnvelope(envelope, TYP.root, team.roots[1]!);
  return JSON.stringify(envelope);
}

function withEntry(envelope: Envelope, entry: { protected: string; signature: string }): string {
  return JSON.stringify({ ...envelope, signatures: [...envelope.signatures, entry] });
}

async function bobSigned(challenge: Challenge, bob: SshSigner): Promise<Envelope> {
  const payload = buildApproval(challenge, {
    now: Date.now(),
    expect: buildChange({ enable: ['container'] }),
    method: 'power',
  });
  return signPayload(payload, TYP.approval, sshSigningKey(bob, 'bob'));
}

async function approval(
  challenge: Challenge,
  bob: SshSigner,
  sk: SkOptions & { alg?: string; kid?: string },
): Promise<string> {
  const envelope = await bobSigned(challenge, bob);
  return withEntry(envelope, skEntry(carol, envelope.payload, TYP.approval, sk));
}

void test('ssh-agent + security key approve 2 of 3 over MQTT; forged or replayed sk signatures refused', async (t) => {
  const dir = tempDir(t);
  const { socket } = await startSshAgent(t, dir);
  const bobPath = sshKeygenKey(dir, 'bob');
  sshAdd(socket, bobPath);
  const bob = await new SshAgentClient(socket).signer();
  const e2e = new E2E();
  t.after(() => e2e.stop());
  await e2e.start({ trustRoot: (team) => sshRoot(team, readPub(bobPath)) });
  e2e.otherClientUpdate({ enable: ['container'] });
  const first = (await e2e.challenge()).challenge;

  const good = { flags: UP | UV, counter: 100 };
  const plainForCarol = async () => {
    const envelope = await bobSigned(first, bob);
    const protectedB64 = Buffer.from(
      JSON.stringify({ alg: 'SSHSIG', typ: TYP.approval, kid: carolKey.keyId }),
    ).toString('base64url');
    const sig = plainSshSig(carol, Buffer.from(`${protectedB64}.${envelope.payload}`), { namespace: NS });
    return withEntry(envelope, { protected: protectedB64, signature: sig.toString('base64url') });
  };
  const cases: Array<[string, () => Promise<string>]> = [
    ['sk-presence-missing', () => approval(first, bob, { flags: UV, counter: 90 })],
    ['sk-verification-missing', () => approval(first, bob, { flags: UP, counter: 91 })],
    ['ssh-wrong-namespace', () => approval(first, bob, { ...good, namespace: 'git' })],
    ['ssh-wrong-application', () => approval(first, bob, { ...good, application: 'ssh:other', kid: carolKey.keyId })],
    ['ssh-key-type-mismatch', () => approval(first, bob, { ...good, alg: 'EdDSA' })],
    ['ssh-key-type-mismatch', plainForCarol],
    ['too-few-approvers', async () => JSON.stringify(await bobSigned(first, bob))],
  ];
  for (const [reason, make] of cases) {
    const jws = await make();
    await e2e.publish('approval', jws);
    const answer = await e2e.finalAnswer(e2e.requestIdOf(jws));
    assert.equal(answer.status, 'error', `${reason}: ${JSON.stringify(answer)}`);
    assert.equal(answer.error?.code, reason, JSON.stringify(answer.error));
  }
  assert.equal(e2e.powerCuts + e2e.presses, 0, 'nothing actuated for a refused approval');

  // The genuine one: bob through ssh-agent, carol's touch and PIN; the refused ones burnt no counter.
  const accepted = await approval(first, bob, good);
  await e2e.publish('approval', accepted);
  const done = await e2e.finalAnswer(e2e.requestIdOf(accepted));
  assert.equal(done.data.state, 'done', JSON.stringify(done));
  assert.equal(e2e.powerCuts, 1);
  const ledger = ledgerSections(join(e2e.site.dir, 'state')) as {
    sk: { counters: Record<string, number> };
  };
  assert.deepEqual(ledger.sk.counters, { [carolKey.keyId]: 100 });

  // A new pending change: carol's old counter (a replayed or cloned signature) is refused.
  const seen = e2e.observer.seen.length;
  e2e.otherClientUpdate({ enable: ['container'], disable: [] });
  const second = (await e2e.challenge(seen)).challenge;
  for (const counter of [100, 42]) {
    const replayed = await approval(second, bob, { flags: UP | UV, counter });
    await e2e.publish('approval', replayed);
    const answer = await e2e.finalAnswer(e2e.requestIdOf(replayed));
    assert.equal(answer.error?.code, 'sk-counter-replayed', JSON.stringify(answer));
  }
  assert.equal(e2e.powerCuts, 1, 'only the genuine approval cut the power');
  assert.ok(
    e2e.events().some((ev) => ev.type === 'security' && /sk-counter-replayed/.test(ev.code)),
    'a replayed counter raised a security event',
  );
});
