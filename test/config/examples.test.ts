import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { actuatorCapabilities } from '../../src/config/actuator-schema.js';

// The configuration examples in docs/configuration.md: each must stay loadable, so the docs cannot rot.
const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'config', 'examples');
const run = promisify(execFile);
const agentKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

/** Writes a stand-in for every secret a file names: credentials and {file: ...} paths. */
async function provideSecrets(text: string, dir: string): Promise<string> {
  const credentials = join(dir, 'credentials');
  await mkdir(credentials, { recursive: true });
  const value = (name: string) => (name.endsWith('.key') ? agentKey : `secret-for-${name}\n`);
  for (const [, name] of text.matchAll(/credential:\s*([A-Za-z0-9_.-]+)/g))
    await writeFile(join(credentials, name!), value(name!), { mode: 0o600 });
  for (const [, name] of text.matchAll(/\bfile:\s*([^\s}]+)/g))
    await writeFile(join(dir, name!), value(name!), { mode: 0o600 });
  return credentials;
}

const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();

void test('there is an example for every actuator kind', () => {
  assert.deepEqual(files, [
    'apc.yaml',
    'gpio-relays.yaml',
    'lcus.yaml',
    'netio.yaml',
    'numato.yaml',
    'raritan.yaml',
    'routeros-poe.yaml',
    'shelly.yaml',
    'sim.yaml',
    'snmp.yaml',
    'tasmota.yaml',
    'wti.yaml',
  ]);
});

for (const file of files) {
  void test(`config/examples/${file} loads through loadConfig`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-example-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const copy = join(dir, file);
    await copyFile(join(EXAMPLES, file), copy);
    const credentials = await provideSecrets(await readFile(copy, 'utf8'), dir);
    const { config } = loadConfig(copy, { env: { CREDENTIALS_DIRECTORY: credentials } });
    const drivers = config.routers.flatMap((r) => Object.values(r.actuators).map((a) => a.driver));
    assert.ok(drivers.length > 0);
    assert.ok(
      drivers.every((d) => file.startsWith(d === 'gpio' ? 'gpio' : d)),
      `${file}: ${drivers.join(', ')}`,
    );
    for (const router of config.routers) {
      for (const method of router.methods) {
        const actuator = router.actuators[method];
        assert.ok(
          actuator && actuatorCapabilities(actuator)[method === 'button' ? 'press' : 'powerCycle'],
          `${file}: ${router.name} ${method}`,
        );
      }
    }
    // And exactly as docs/configuration.md tells users to check it.
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'config', 'check', copy],
      {
        env: { ...process.env, CREDENTIALS_DIRECTORY: credentials },
        encoding: 'utf8',
      },
    );
    assert.match(cli.stdout, /: valid\n/);
    assert.doesNotMatch(cli.stdout, /secret-for-|PRIVATE KEY/);
  });
}

void test('the gpio example has a normally-closed power relay and a normally-open button relay', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dmconfirm-example-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const copy = join(dir, 'gpio-relays.yaml');
  await copyFile(join(EXAMPLES, 'gpio-relays.yaml'), copy);
  const credentials = await provideSecrets(await readFile(copy, 'utf8'), dir);
  const { actuators } = loadConfig(copy, { env: { CREDENTIALS_DIRECTORY: credentials } }).config.routers[0]!;
  assert.equal(actuators.power?.driver === 'gpio' && actuators.power.wiring, 'normally-closed');
  assert.equal(actuators.button?.driver === 'gpio' && actuators.button.wiring, 'normally-open');
});

void test('every YAML snippet in docs/configuration.md "Configuration examples" is in an example file', async () => {
  const readme = await readFile(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const start = readme.indexOf('## Configuration examples\n');
  assert.ok(start >= 0, 'docs/configuration.md has a "Configuration examples" section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const snippets = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(snippets.length >= files.length);
  const texts = await Promise.all(files.map((f) => readFile(join(EXAMPLES, f), 'utf8')));
  for (const snippet of snippets)
    assert.ok(
      texts.some((t) => t.includes(snippet)),
      `not in any example file:\n${snippet}`,
    );
});
