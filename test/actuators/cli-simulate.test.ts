// `dmconfirm actuator simulate <kind>` runs a device simulator an installer can point
// `actuator test` at; here for an SNMP PDU, a Raritan PX (pinned HTTPS) and a Shelly over MQTT.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliCommand, cliScratch, runCli } from './fixtures/cli-run.js';
import { Mosquitto } from '../helpers/mosquitto.js';

const { dir, children, configFor } = cliScratch('dmconfirm-cli-simulate-', after, {
  'pdu.pw': 'pdu-pw\n',
  community: 'private\n',
});

/** Starts `actuator simulate ...` and resolves with its "simulated ..." line. */
async function simulate(args: string[]): Promise<string> {
  const [file, ...rest] = cliCommand(['actuator', 'simulate', ...args]);
  const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) if (line.startsWith('simulated ')) return line;
  throw new Error('the simulator exited without saying where it is');
}

void test('simulate snmp, then actuator test against it: the simulated PDU times the cut', async () => {
  const line = await simulate(['snmp', '--mib', 'eaton', '--port', '0']);
  const port = /udp 127\.0\.0\.1:(\d+)/.exec(line)?.[1];
  assert.ok(port, line);
  const config = configFor(
    `{ driver: snmp, host: 127.0.0.1, port: ${port}, mib: eaton, outlet: 1, snmp: { version: ` +
      `"2c", community: { file: community } }, timing: { offMs: 1000, offMinMs: 1000 } }`,
  );
  const run = await runCli(['actuator', 'test', '--config', config, '--router', 'r1', '--yes'], children);
  assert.equal(run.code, 0, run.out + run.err);
  assert.match(run.out, /the device timed the cut: planned 1000 ms/);
});

void test('simulate raritan prints its URL and certificate fingerprint; a pinned actuator test works', async () => {
  const line = await simulate(['raritan', '--password-file', join(dir, 'pdu.pw'), '--reboot-seconds', '30']);
  const [, url, fingerprint] = /at (https:\/\/\S+), user admin, certificate fingerprint (\S+)/.exec(line) ?? [];
  assert.ok(url && fingerprint, line);
  const config = configFor(
    `{ driver: raritan, url: "${url}", fingerprint: "${fingerprint}", username: admin, ` +
      `password: { file: pdu.pw }, outlet: 1, timing: { offMs: 1000, offMinMs: 1000 } }`,
  );
  const run = await runCli(['actuator', 'test', '--config', config, '--router', 'r1', '--yes'], children);
  assert.equal(run.code, 0, run.out + run.err);
  assert.match(run.out, /outlet-on-by-device-after-\d+ms/);
});

void test('simulate shelly --broker: RPC over MQTT; actuator test drives it through the broker', async () => {
  const broker = new Mosquitto();
  await broker.start();
  after(() => broker.dispose());
  const line = await simulate(['shelly', '--broker', broker.url, '--topic', 'shellyplus1-cli']);
  assert.match(line, /Shelly RPC over MQTT on mqtt:\/\/\S+, topicPrefix shellyplus1-cli/);
  const config = configFor(
    `{ driver: shelly, broker: { url: "${broker.url}" }, topicPrefix: ` +
      `shellyplus1-cli, wiring: outlet, timing: { offMs: 1000, offMinMs: 1000 } }`,
  );
  const run = await runCli(['actuator', 'test', '--config', config, '--router', 'r1', '--yes'], children);
  assert.equal(run.code, 0, run.out + run.err);
  assert.match(run.out, /the device timed the cut: planned 1000 ms/);
});

void test('simulate: an unknown kind or a tasmota without a broker exits 2', async () => {
  assert.equal((await runCli(['actuator', 'simulate', 'toaster'], children)).code, 2);
  assert.equal((await runCli(['actuator', 'simulate', 'tasmota'], children)).code, 2);
});
