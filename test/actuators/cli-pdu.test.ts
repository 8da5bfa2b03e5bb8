// `dmconfirm actuator test` through serial PDUs on real socat pty pairs: the installer's
// command drives each driver against its simulated device, byte for byte.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApcDevice, WtiDevice, type SerialDevice } from './fixtures/serial-devices.js';
import { cliScratch, NO_SOCAT, runCli, withPtyDevice } from './fixtures/cli-run.js';

const { dir, children, configFor } = cliScratch('dmconfirm-cli-pdu-', after, { 'pdu.pw': 'apc\n' });

function cli(args: string[]): ReturnType<typeof runCli> {
  return runCli(args, children);
}

function withDevice(name: string, device: SerialDevice, run: (hostPath: string) => Promise<void>): Promise<void> {
  return withPtyDevice(dir, name, device, children, run);
}

void test('CLI: a power cycle through a WTI PDU (plug by name, /OFF then /ON)', { skip: NO_SOCAT }, async () => {
  const pdu = new WtiDevice();
  await withDevice('wti', pdu, async (host) => {
    const file = configFor(`{ driver: wti, path: ${host}, plug: router, method: off-on, timing: { offMs: 2000 } }`);
    const run = await cli(['actuator', 'test', '--config', file, '--router', 'r1', '--power-cycle', '--yes']);
    assert.equal(run.code, 0, run.err + run.out);
    assert.match(run.out, /done: power-cycle of 2000 ms/);
    const plug2 = pdu.events.filter((e) => e.outlet === '2').map((e) => e.on);
    assert.deepEqual(plug2.slice(-2), [false, true], JSON.stringify(pdu.events));
    assert.ok(
      pdu.events.every((e) => e.outlet === '2'),
      'only the router plug was switched',
    );
  });
});

void test('CLI: a power cycle through an APC PDU with a login, checking E000', { skip: NO_SOCAT }, async () => {
  const pdu = new ApcDevice({ login: { user: 'apc', password: 'apc' } });
  await withDevice('apc', pdu, async (host) => {
    const file = configFor(
      `{ driver: apc, path: ${host}, outlet: 3, username: apc, password: { file: pdu.pw }, timing: { offMs: 2000 } }`,
    );
    const run = await cli(['actuator', 'test', '--config', file, '--router', 'r1', '--power-cycle', '--yes']);
    assert.equal(run.code, 0, run.err + run.out);
    assert.deepEqual(
      pdu.events
        .filter((e) => e.outlet === '3')
        .map((e) => e.on)
        .slice(-2),
      [false, true],
    );
  });
});
