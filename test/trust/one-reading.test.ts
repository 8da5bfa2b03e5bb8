// Issue 10, item 3: one reading of every message. Anything two JSON parsers could read
// differently is refused at every level (envelope, protected header, payload, trust root),
// by the agent's verifier, by `dmconfirm verify` and by `cosign` before it signs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractError, parsePayload, statusSchema } from '../../src/mqtt/contract.js';
import { TYP } from '../../src/trust/messages.js';
import { strictJson, StrictJsonError } from '../../src/trust/strict-json.js';
import { TrustRoot } from '../../src/trust/trust-root.js';
import { openEnvelope } from '../../src/trust/jws.js';
import { readAnyMessage } from '../../src/trust/message-read.js';
import { verifyChangeRequest } from '../../src/trust/verify.js';
import { fails, TARGET, ok } from './cli-harness.js';
import { NOW, SERIAL, context, keys, refused, requestPayload, rootPayload, tempDir, trustRootV1 } from './fixtures.js';
import { b64, forge, forgeSimple, header } from './forger.js';

const good = () => JSON.stringify(requestPayload());
/** The payload text with `"kind":"change-request"` replaced by `insert` + that member. */
const withMember = (insert: string) => good().replace('"kind":', `${insert},"kind":`);

const signers = [keys.noc, keys.alice, keys.bob];

void test('control: the forged-but-honest message passes', async () => {
  const verdict = await verifyChangeRequest(forgeSimple(good(), TYP.request, signers), context(await trustRootV1()));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
});

void test('payload: duplicates, prototype names, members off the schema, odd numbers, numbers as strings', async () => {
  const root = await trustRootV1();
  const variants: Array<[string, string]> = [
    ['duplicate top-level member', withMember('"method":"button"')],
    ['duplicate nested member', good().replace('"container":true', '"container":false,"container":true')],
    ['duplicate in requester', good().replace('"name":"noc"', '"name":"alice","name":"noc"')],
    ['__proto__', withMember('"__proto__":{"method":"button"}')],
    ['constructor', withMember('"constructor":1')],
    ['prototype in change', good().replace('"features":{', '"features":{"prototype":true,')],
    ['unknown member', withMember('"extra":1')],
    ['1.0', good().replace('"activationTimeoutSeconds":300', '"activationTimeoutSeconds":300.0')],
    ['1e0 form', good().replace('"activationTimeoutSeconds":300', '"activationTimeoutSeconds":3e2')],
    ['-0', good().replace('"v":1', '"v":-0')],
    ['huge int', good().replace('"activationTimeoutSeconds":300', '"activationTimeoutSeconds":9007199254740993')],
    ['number as string', good().replace('"activationTimeoutSeconds":300', '"activationTimeoutSeconds":"300"')],
    ['boolean as string', good().replace('"container":true', '"container":"true"')],
    ['lone surrogate', good().replace('"name":"noc"', '"name":"noc\\ud800"')],
  ];
  for (const [what, text] of variants) {
    assert.notEqual(text, good(), what);
    const verdict = await verifyChangeRequest(forgeSimple(text, TYP.request, signers), context(root));
    assert.equal(verdict.ok, false, what);
    if (!verdict.ok)
      assert.match(verdict.reason, /bad-payload|malformed/, `${what}: ${verdict.reason} ${verdict.detail}`);
  }
});

void test('protected header and envelope: duplicates and prototype names are refused', async () => {
  const root = await trustRootV1();
  const payload = good();
  const kid = keys.alice.keyId;
  const headers = [
    `{"alg":"EdDSA","typ":"${TYP.request}","kid":"${kid}","kid":"${keys.bob.keyId}"}`,
    `{"alg":"EdDSA","alg":"none","typ":"${TYP.request}","kid":"${kid}"}`,
    `{"alg":"EdDSA","typ":"${TYP.request}","kid":"${kid}","__proto__":{}}`,
  ];
  for (const h of headers) {
    const text = forge(payload, [
      { key: keys.noc, header: header(TYP.request, keys.noc.keyId) },
      { key: keys.alice, header: h },
      { key: keys.bob, header: header(TYP.request, keys.bob.keyId) },
    ]);
    refused(await verifyChangeRequest(text, context(root)), 'malformed', /twice|not allowed/);
  }
  const honest = JSON.parse(forgeSimple(payload, TYP.request, signers)) as { payload: string; signatures: unknown[] };
  const other = b64(good().replace('"container":true', '"socks":true'));
  const signatures = JSON.stringify(honest.signatures);
  const dupEnvelope = `{"payload":"${other}","payload":"${honest.payload}","signatures":${signatures}}`;
  refused(await verifyChangeRequest(dupEnvelope, context(root)), 'malformed', /payload.*twice/);
  const protoEnvelope = `{"payload":"${honest.payload}","signatures":${signatures},"__proto__":{}}`;
  refused(await verifyChangeRequest(protoEnvelope, context(root)), 'malformed');
});

void test('trust root: a duplicate member (e.g. a second thresholds) is refused', () => {
  const text = JSON.stringify(rootPayload()).replace(
    '"thresholds":',
    '"thresholds":{"root":1,"approver":1},"thresholds":',
  );
  assert.throws(() => TrustRoot.fromEnvelopeText(forgeSimple(text, TYP.root, [keys.alice, keys.bob])), {
    reason: 'root-invalid',
    detail: /twice/,
  });
});

void test('the parser itself: canonical numbers pass, every other spelling fails; MQTT payloads use it too', () => {
  strictJson('['.repeat(32) + ']'.repeat(32));
  strictJson('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[["}');
  for (const ok of ['0', '-1', '1.5', '0.1', '1.5e-7', '[1,{"a":null}]', '"\\ud83d\\ude00"']) strictJson(ok);
  for (const bad of [
    '01',
    '1.0',
    '1E3',
    '1e3',
    '-0',
    '0.10',
    '1e21',
    '1e+21',
    '9007199254740993',
    '{"a":1,"a":1}',
    '[{"b":{"c":1,"c":2}}]',
    '{"__proto__":1}',
    '"\\udc00"',
    '{"a":1} x',
    '['.repeat(33) + ']'.repeat(33),
    '['.repeat(20000) + ']'.repeat(20000),
  ]) {
    assert.throws(() => strictJson(bad), StrictJsonError, bad);
  }
  const status = { v: 1, state: 'online', agent: 'a', site: 's', version: '1', at: 'now', reason: 'started' };
  assert.equal(parsePayload(statusSchema, 't', JSON.stringify(status)).state, 'online');
  assert.throws(
    () =>
      parsePayload(
        statusSchema,
        't',
        JSON.stringify(status).replace('"state":"online"', '"state":"offline","state":"online"'),
      ),
    ContractError,
  );
});

void test('CLI: cosign and verify show and check the same strict reading; a duplicate member is refused', async (t) => {
  const d = tempDir(t);
  const root = forgeSimple(JSON.stringify(rootPayload()), TYP.root, [keys.alice, keys.bob]);
  writeFileSync(join(d, 'trust.json'), root);
  const payload = JSON.stringify(requestPayload({ agent: 'site1', router: { serial: 'HF123' } }));
  writeFileSync(join(d, 'ok.json'), forgeSimple(payload, TYP.request, signers));
  const twoMethods = payload.replace('"method":"power"', '"method":"button","method":"power"');
  writeFileSync(
    join(d, 'dup.json'),
    forge(twoMethods, []).replace(
      '"signatures":[]',
      `"signatures":${JSON.stringify(signaturesOf(forgeSimple(twoMethods, TYP.request, signers)))}`,
    ),
  );
  const now = ['--now', new Date(NOW).toISOString()];
  await ok(
    d,
    ['verify', 'ok.json', '--trust', 'trust.json', ...TARGET, ...now],
    /trust root: v1[\s\S]*OK: change request .* by power/,
  );
  await fails(
    d,
    ['verify', 'dup.json', '--trust', 'trust.json', ...TARGET, ...now],
    1,
    /REFUSED (malformed|bad-payload): payload: member "method" appears twice/,
  );
  writeFileSync(join(d, 'draft.json'), forge(twoMethods, []));
  writeFileSync(join(d, 'carol.key'), keys.carol.privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  await fails(
    d,
    ['cosign', 'draft.json', '--key', 'carol.key'],
    2,
    // the operator's own input: said in plain words, the reason code only where it adds something
    /^dmconfirm: (?:(?:malformed|bad-payload): )?payload: member "method" appears twice/m,
  );
});

void test('names shown to a signer cannot spell other text: requester names and router ids are plain', async () => {
  const root = await trustRootV1();
  const spoofs = [
    good().replace('"name":"noc"', '"name":"noc, approved by alice, bob"'),
    good().replace('"name":"noc"', '"name":"noc\\nOK"'),
    good().replace(`"serial":"${SERIAL}"`, `"serial":"${SERIAL}; approved by alice"`),
  ];
  for (const text of spoofs) {
    assert.notEqual(text, good());
    refused(await verifyChangeRequest(forgeSimple(text, TYP.request, signers), context(root)), 'bad-payload');
  }
});

function signaturesOf(envelope: string): unknown {
  return (JSON.parse(envelope) as { signatures: unknown }).signatures;
}

void test('read once: a verifier given the envelope openEnvelope read acts on exactly that reading', async () => {
  const bytes = forgeSimple(good(), TYP.request, signers);
  const opened = openEnvelope(bytes);
  assert.equal(openEnvelope(opened), opened, 'a message read once is not read again');
  const verdict = await verifyChangeRequest(opened, context(await trustRootV1()));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  // The reading is frozen, and nothing else passes for one: a payload the signatures do not cover never gets in.
  assert.throws(() => {
    (opened.payload as { requestId: string }).requestId = 'other';
  }, TypeError);
  const lookalike = { envelope: opened.envelope, payload: { ...(opened.payload as object), requestId: 'other' } };
  await assert.rejects(verifyChangeRequest(lookalike, context(await trustRootV1())), TypeError);
});

void test('read once: a payload of any kind (what cosign and verify show) is parsed once, not again by kind', () => {
  const payload = good();
  const original = JSON.parse.bind(JSON);
  let parses = 0;
  JSON.parse = (text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    if (text === payload) parses++;
    return original(text, reviver) as unknown;
  };
  try {
    assert.equal(readAnyMessage(payload).kind, 'change-request');
  } finally {
    JSON.parse = original;
  }
  assert.equal(parses, 1);
  assert.throws(() => readAnyMessage(withMember('"extra":1')), { reason: 'bad-payload', detail: /extra/ });
});
