import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetFromFlags } from '../../src/cli/commands/sim.js';
import { CliError } from '../../src/cli/cli-error.js';
import { FleetConfigError, loadFleetConfig, startFleet } from '../../src/sim/fleet.js';
import { attrs, RawClient } from './raw-client.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmconfirm-fleet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

void test('a fleet file starts a switch and a router it powers; the password comes from a file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'pw'), 'fleet-pw\n');
  writeFileSync(
    join(dir, 'sim.yaml'),
    [
      'timeScale: 0.01',
      'devices:',
      '  - name: sw1',
      '    model: CRS328-24P',
      '    apiPort: 0',
      '    controlPort: false',
      '  - name: site-a',
      '    model: hAP-ac2',
      '    routeros: "7.17"',
      '    passwordFile: pw',
      '    apiPort: 0',
      '    controlPort: 0',
      '    poweredBy: { switch: sw1, port: ether5 }',
    ].join('\n'),
  );
  const routers = await startFleet(loadFleetConfig(join(dir, 'sim.yaml')), dir);
  t.after(() => Promise.all([...routers.values()].map((r) => r.stop())));
  const site = routers.get('site-a')!;
  const c = await RawClient.login(site.apiPort, 'admin', 'fleet-pw');
  t.after(() => c.close());
  assert.deepEqual(await c.call(['/system/identity/print']), [['!re', '=name=site-a'], ['!done']]);
  routers.get('sw1')!.poe!.set('ether5', 'off');
  assert.equal(site.powered, false);
  const booted = once(site, 'booted');
  routers.get('sw1')!.poe!.set('ether5', 'forced-on');
  await booted;
  const again = await RawClient.login(site.apiPort, 'admin', 'fleet-pw');
  t.after(() => again.close());
  assert.equal(attrs((await again.call(['/system/device-mode/print']))[0]).mode, 'home');
});

void test('fleet file errors name their paths; unknown PoE references are refused', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'bad.yaml'),
    'devices:\n  - name: a\n    model: WRT54G\n    apiPort: 70000\n    colour: red\n',
  );
  assert.throws(
    () => loadFleetConfig(join(dir, 'bad.yaml')),
    (e: Error) =>
      e instanceof FleetConfigError &&
      /devices\.0\.model/.test(e.message) &&
      /devices\.0\.apiPort/.test(e.message) &&
      /colour/.test(e.message),
  );
  writeFileSync(join(dir, 'dup.yaml'), 'devices:\n  - name: a\n  - name: a\n');
  assert.throws(() => loadFleetConfig(join(dir, 'dup.yaml')), /duplicate/);
  writeFileSync(
    join(dir, 'poe.yaml'),
    'devices:\n  - name: a\n    controlPort: false\n    poweredBy: { switch: nope, port: ether1 }\n',
  );
  await assert.rejects(startFleet(loadFleetConfig(join(dir, 'poe.yaml')), dir), /not a PoE port/);
});

const FLAGS = {
  name: 'MikroTik',
  model: 'hAP-ax3',
  routeros: '7.22',
  host: '127.0.0.1',
  apiPort: '8728',
  controlPort: '8780',
  apiSslPort: '8729',
  user: 'admin',
  bootSeconds: '3',
  shutdownSeconds: '1',
  minOffSeconds: '3',
  abandonedUpdate: 'stays-pending',
  timeScale: '1',
};

void test('sim router flags map to one validated device; bad flags are CLI errors', () => {
  const fleet = fleetFromFlags({ ...FLAGS, tls: true, splitReplies: true, controlPort: 'off', stallOthers: true });
  assert.equal(fleet.devices[0]?.splitReplies, 'random');
  assert.equal(fleet.devices[0]?.controlPort, false);
  assert.equal(fleet.devices[0]?.apiPort, 8728);
  assert.equal(fleet.devices[0]?.stallOthers, true);
  assert.equal(fleetFromFlags({ ...FLAGS, splitReplies: 'bytes' }).devices[0]?.splitReplies, 'bytes');
  assert.throws(
    () => fleetFromFlags({ ...FLAGS, model: 'nope' }),
    (e: Error) => e instanceof CliError && /--model/.test(e.message),
  );
  assert.throws(() => fleetFromFlags({ ...FLAGS, apiPort: 'x' }), /--api-port/);
  assert.throws(() => fleetFromFlags({ ...FLAGS, mode: 'enterprise-ish' }), /--mode/);
  assert.throws(() => fleetFromFlags({ ...FLAGS, timeScale: '0' }), /time-scale/);
});
