// Shared by the end-to-end tests of device-timed power drivers (SNMP PDU, Tasmota and Shelly
// plugs): a power change request, and the daemon SIGKILLed in the middle of the cut.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemon } from './fault-matrix.js';
import type { E2E } from './harness.js';

export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Publishes a signed request to enable `container` by a power cycle; returns its id. */
export async function changeRequest(e2e: E2E): Promise<string> {
  const jws = await e2e.site.team.changeRequest({
    agent: 'pi-demo',
    router: e2e.router,
    change: { enable: ['container'] },
    method: 'power',
    activationTimeoutSeconds: 120,
  });
  await e2e.publish('request', jws);
  return e2e.requestIdOf(jws);
}

/**
 * Runs the agent as a daemon, requests a power cycle and SIGKILLs the daemon once the router is
 * dark; then waits, with no agent and no `actuator release`, for the device to restore the power.
 */
export async function killMidCut(e2e: E2E, t: TestContext, device: string): Promise<void> {
  await e2e.stopAgent();
  const child = await daemon(e2e, t);
  await changeRequest(e2e);
  await until(() => e2e.site.router.state().power === 'off', 'power cut');
  child.kill('SIGKILL');
  assert.equal((await child.exited()).signal, 'SIGKILL');
  assert.equal(e2e.site.router.state().power, 'off', 'killed mid-cut');
  await until(() => e2e.site.router.state().power === 'on', `power restored by the ${device}`, 15_000);
}

/** The broker up ahead of the site: a plug on the site broker must answer when the agent starts. */
export async function brokerFirst(e2e: E2E): Promise<void> {
  await e2e.broker.start();
  e2e.broker.start = () => Promise.resolve();
}

/** Starts the site with one power actuator, timed by the device: `offMs` off, at least 2 s. */
export function startDeviceTimedSite(e2e: E2E, power: Record<string, unknown>, offMs: number): Promise<void> {
  return e2e.start({
    router: { timing: { bootMs: 2000, shutdownMs: 2000, minOffMs: 1500 } },
    routerConfig: { methods: ['power'], actuators: { power: { ...power, timing: { offMs, offMinMs: 2000 } } } },
  });
}

/** After killMidCut: the device (`by`) switched the power back on itself, not before the planned time; one cut. */
export function assertRestoredOnTime(
  e2e: E2E,
  switches: ReadonlyArray<{ at: number; by: string }>,
  by: string,
  offMs: number,
): void {
  const [off, on] = switches;
  assert.equal(on?.by, by);
  assert.ok(on.at - off!.at >= offMs - 100, `off for ${Math.round(on.at - off!.at)} ms, planned ${offMs}`);
  assert.equal(e2e.powerCuts, 1);
}
