import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';

function dirWithSecrets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-config-'));
  writeFileSync(join(dir, 'router.pw'), 'hunter2\n');
  writeFileSync(join(dir, 'trust.json'), '{}');
  return dir;
}

const minimal = (extra = '') => `
agent: { id: a1, site: s1, trustRoot: trust.json }
mqtt: { url: "mqtt://127.0.0.1:1883" }
routers:
  - name: r1
    host: 127.0.0.1
    username: admin
    password: { file: router.pw }
    actuators:
      power: { driver: sim, url: "http://127.0.0.1:8780" }
${extra}`;

void test('a minimal configuration gets every default and reads its secret file', () => {
  const dir = dirWithSecrets();
  const { config } = parseConfigText(minimal(), join(dir, 'agent.yaml'), {});
  const router = config.routers[0]!;
  assert.equal(router.pollIntervalMs, 1000);
  assert.equal(router.password.reveal(), 'hunter2');
  assert.equal(JSON.stringify(router.password).includes('hunter2'), false);
  assert.equal(config.mqtt.protocolVersion, 5);
  assert.equal(config.policy.maxOperationsPerHour, 3);
  assert.equal(router.actuators.power?.timing.offMs, 8000);
});

void test('every problem is reported at once, each with its path', () => {
  const dir = dirWithSecrets();
  const text = `
agent: { id: "bad id", site: s1, trustRoot: t.json }
mqtt: { url: "http://x" }
routers:
  - name: r1
    host: h
    username: u
    password: plain-text-password
    methods: [button]
    actuators:
      power: { driver: gpio, pin: 40, wiring: normally-closed }
`;
  assert.throws(
    () => parseConfigText(text, join(dir, 'agent.yaml'), {}),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const paths = error.problems.map((p) => p.path);
      assert.ok(paths.includes('agent.id'), paths.join());
      assert.ok(paths.includes('mqtt.url'));
      assert.ok(paths.includes('routers[0].password'));
      assert.ok(paths.includes('routers[0].actuators.power.pin'));
      const pin = error.problems.find((p) => p.path === 'routers[0].actuators.power.pin');
      assert.match(pin!.message, /0\.\.27/);
      const pw = error.problems.find((p) => p.path === 'routers[0].password');
      assert.match(pw!.message, /never live in the YAML/);
      return true;
    },
  );
});

void test('a missing secret file and a credential without $CREDENTIALS_DIRECTORY are explained', () => {
  const dir = dirWithSecrets();
  const text = minimal().replace('{ file: router.pw }', '{ file: nope.pw }') + 'mqttx: 1\n';
  assert.throws(
    () => parseConfigText(text, join(dir, 'agent.yaml'), {}),
    (error: ConfigError) => {
      assert.ok(error.problems.some((p) => p.path === 'routers[0].password' && /cannot read .*ENOENT/.test(p.message)));
      assert.ok(error.problems.some((p) => /unknown key\(s\): mqttx/.test(p.message)));
      return true;
    },
  );
  const cred = minimal().replace('{ file: router.pw }', '{ credential: router.pw }');
  assert.throws(() => parseConfigText(cred, join(dir, 'agent.yaml'), {}), /CREDENTIALS_DIRECTORY/);
  const { config } = parseConfigText(cred, join(dir, 'agent.yaml'), { CREDENTIALS_DIRECTORY: dir });
  assert.equal(config.routers[0]!.password.reveal(), 'hunter2');
});

void test('environment variables override keys by path and are validated like the file', () => {
  const dir = dirWithSecrets();
  const env = { DMCONFIRM__ROUTERS__0__POLL_INTERVAL_MS: '2500', DMCONFIRM__MQTT__URL: 'mqtts://b:8883' };
  const loaded = parseConfigText(minimal(), join(dir, 'agent.yaml'), env);
  assert.equal(loaded.config.routers[0]!.pollIntervalMs, 2500);
  assert.equal(loaded.config.mqtt.url, 'mqtts://b:8883');
  assert.deepEqual(loaded.envOverrides.sort(), Object.keys(env).sort());
  assert.throws(
    () => parseConfigText(minimal(), join(dir, 'agent.yaml'), { DMCONFIRM__ROUTERS__0__POLL_INTERVAL_MS: '5' }),
    (e: ConfigError) => e.problems.some((p) => p.path === 'routers[0].pollIntervalMs'),
  );
});

void test('broken YAML and a missing file are errors, not crashes', () => {
  const dir = dirWithSecrets();
  assert.throws(() => parseConfigText('agent: [', join(dir, 'a.yaml'), {}), ConfigError);
  assert.throws(() => loadConfig(join(dir, 'missing.yaml'), { env: {} }), /cannot read: ENOENT/);
});

// Problems are said in the file's (or the environment's) terms: the key path, the value the
// user wrote with a suggestion, and the variable that set it.
void test('an enum echoes the bad value with a suggestion; a missing key says so; an override its variable', () => {
  const dir = dirWithSecrets();
  const problems = (text: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      parseConfigText(text, join(dir, 'agent.yaml'), env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return Object.fromEntries(error.problems.map((p) => [p.path, p.message]));
    }
    assert.fail('expected problems');
  };
  const typo = problems(minimal('policy: { allowedFeatures: [contianer] }'));
  assert.equal(typo['policy.allowedFeatures[0]'], '"contianer" is not allowed here; did you mean "container"?');
  const missing = problems(
    minimal().replace('agent: { id: a1, site: s1, trustRoot: trust.json }', 'agent: { id: a1, trustRoot: trust.json }'),
  );
  assert.equal(missing['agent.site'], 'required, but missing (string)');
  const fromEnv = problems(minimal(), {
    DMCONFIRM__ROUTERS__0__PORT: 'eighty',
    DMCONFIRM__AGENT__CLOCK: 'sometimes',
  });
  assert.match(fromEnv['routers[0].port']!, /\("eighty"\) \(set by DMCONFIRM__ROUTERS__0__PORT\)$/);
  assert.match(
    fromEnv['agent.clock']!,
    /^"sometimes" is not allowed here; one of: .* \(set by DMCONFIRM__AGENT__CLOCK\)$/,
  );
});
