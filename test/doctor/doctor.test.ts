import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedSite } from '../../src/demo/site.js';
import { runDoctor } from '../../src/doctor/run.js';
import { runPairing } from '../../src/pairing/pair.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { Mosquitto } from '../helpers/mosquitto.js';

/** name → result; names are unique in one run. */
function byName(results: CheckResult[]): Map<string, CheckResult> {
  return new Map(results.map((r) => [r.name, r]));
}

function failing(results: CheckResult[]): string[] {
  return results.filter((r) => r.status === 'fail').map((r) => r.name);
}

void test('doctor: a good site passes every check; each breakage fails the right check, right fix', async (t) => {
  const broker = new Mosquitto({ persistence: false });
  await broker.start();
  const site = new SimulatedSite({ brokerUrl: broker.url, protocolVersion: 5 });
  t.after(async () => {
    await site.stop();
    await broker.dispose();
    if (site.dir) await rm(site.dir, { recursive: true, force: true });
  });
  await site.start();
  await chmod(join(site.dir, 'state'), 0o700);
  const doctor = () => runDoctor(site.configFile, { env: {}, brokerTimeoutMs: 1500, uid: 1000 });

  // Not paired yet: the only remark, and a warning.
  const fresh = byName(await doctor());
  assert.equal(fresh.get('hap1 pairing')?.status, 'warn');
  assert.match(fresh.get('hap1 pairing')?.fix ?? '', /dmconfirm pair --config/);

  const paired = await runPairing(site.config, {
    configFile: site.configFile,
    accept: false,
    print: () => undefined,
  });
  assert.equal(paired.exitCode, 0);

  const good = await doctor();
  assert.deepEqual(
    good.filter((r) => r.status !== 'ok'),
    [],
  );
  assert.deepEqual(
    good.map((r) => r.name),
    [
      'configuration',
      'state directory',
      'clock',
      'agent key',
      'trust root',
      'hap1 power actuator',
      'hap1 button actuator',
      'hap1 API',
      'hap1 device-mode',
      'hap1 pairing',
      'hap1 RouterOS 7.22 behaviour',
      'MQTT broker',
    ],
  );
  assert.match(byName(good).get('hap1 API')?.detail ?? '', new RegExp(`serial ${site.serial}`));
  assert.match(byName(good).get('hap1 device-mode')?.detail ?? '', /mode home, attempt-count 0, flagged no/);
  // The version `dmconfirm pair` recorded; only the simulator's defaults ship, so nothing is proven yet.
  assert.match(
    byName(good).get('hap1 RouterOS 7.22 behaviour')?.detail ?? '',
    /^known: none; unproven: progressWhilePending, /,
  );

  // Wrong router password: the API check says "login refused" and points at the credentials.
  const passwordFile = join(site.dir, 'router.password');
  await writeFile(passwordFile, 'wrong\n');
  let results = await doctor();
  assert.deepEqual(failing(results), ['hap1 API']);
  const api = byName(results).get('hap1 API');
  assert.match(api?.detail ?? '', /login refused for user "admin"/);
  assert.match(api?.fix ?? '', /routers\[0\]\.username and the password/);
  await writeFile(passwordFile, 'router-secret\n');

  // Stopped broker.
  await broker.stop();
  results = await doctor();
  assert.deepEqual(failing(results), ['MQTT broker']);
  assert.match(
    byName(results).get('MQTT broker')?.detail ?? '',
    /no connection to mqtt:\/\/127\.0\.0\.1:\d+ within 1500 ms/,
  );
  assert.match(byName(results).get('MQTT broker')?.fix ?? '', /check mqtt\.url/);
  await broker.start();

  // Missing trust root (nothing stored yet either: the agent would refuse to start).
  const trust = join(site.dir, 'trust.json');
  await rename(trust, `${trust}.away`);
  results = await doctor();
  assert.deepEqual(failing(results), ['trust root']);
  assert.match(byName(results).get('trust root')?.detail ?? '', /trust\.json: ENOENT, and none stored yet/);
  assert.match(byName(results).get('trust root')?.fix ?? '', /dmconfirm trust init/);
  await rename(`${trust}.away`, trust);

  // An agent key others may read.
  const key = join(site.dir, 'agent.key');
  await chmod(key, 0o644);
  results = await doctor();
  assert.deepEqual(failing(results), ['agent key']);
  assert.match(byName(results).get('agent key')?.detail ?? '', /mode 0644: group\/others may read/);
  assert.equal(byName(results).get('agent key')?.fix?.startsWith(`chmod 600 ${key}`), true);
  await chmod(key, 0o600);

  assert.deepEqual(failing(await doctor()), []);
});

void test('doctor: an invalid configuration is one failing check listing every problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-doctor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'agent.yaml');
  await writeFile(file, 'agent: {id: a, site: s, trustRoot: t.json}\nmqtt: {url: http://x}\nrouters: []\n');
  const results = await runDoctor(file, { env: {} });
  assert.equal(results.length, 1);
  assert.equal(results[0]?.status, 'fail');
  assert.match(results[0]?.detail ?? '', /mqtt\.url: must be an mqtt:\/\//);
  assert.match(results[0]?.detail ?? '', /routers: must list at least one router/);
  assert.match(results[0]?.fix ?? '', /dmconfirm config check/);
});
